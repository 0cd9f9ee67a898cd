# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for FusionPBX's login page and provisioning app, behind nginx.

It answers what fail2ban cares about and logs failures exactly as FusionPBX's PHP does:
openlog('FusionPBX', LOG_NDELAY, LOG_AUTH) and syslog(LOG_WARNING, ...) with the messages
    [<REMOTE_ADDR>] authentication failed for <username>
    [<REMOTE_ADDR>] provision attempt bad password for <mac>

Endpoints (nginx passes the client address in X-Real-IP, as PHP would see it in REMOTE_ADDR):
    GET  /login.php, /core/authentication/...        the login form (200)
    POST /login.php, /core/authentication/...        username/password: 302 to the dashboard, or the
                                                     form again (200) and a syslog line
    GET  /core/dashboard/                            200
    GET  /app/provision/[index.php]?mac=&password=   unknown or malformed MAC: 404; known MAC with a
                                                     wrong password: "access denied" (200) and a syslog
                                                     line; otherwise the phone's configuration (200)
Anything else: 404. Standard library only (Python 3.9+).
"""

import argparse
import json
import re
import syslog
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SYSLOG_LOCK = threading.Lock()


def log_auth_warning(message):
    """Write one line the way FusionPBX's PHP code does (ident FusionPBX, facility auth, level warning)."""
    with SYSLOG_LOCK:
        syslog.openlog("FusionPBX", syslog.LOG_NDELAY, syslog.LOG_AUTH)
        syslog.syslog(syslog.LOG_WARNING, message)
        syslog.closelog()


def normalize_mac(text):
    """FusionPBX strips separators and lower-cases the MAC; None when it is not 12 hex digits."""
    mac = re.sub(r"[-:.]", "", text or "").lower()
    return mac if re.fullmatch(r"[0-9a-f]{12}", mac) else None


class StandinHandler(BaseHTTPRequestHandler):
    server_version = "fusionpbx-standin"
    config = {}

    def client_address_seen_by_php(self):
        return self.headers.get("X-Real-IP") or self.client_address[0]

    def reply(self, status, body, headers=None):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, fmt, *args):  # nginx keeps the access log
        pass

    def route(self):
        url = urlsplit(self.path)
        path = url.path
        if path == "/login.php" or path.startswith("/core/authentication/"):
            return self.login()
        if path.startswith("/core/dashboard"):
            return self.reply(200, "<h1>Dashboard</h1>")
        if path in ("/app/provision/", "/app/provision/index.php"):
            return self.provision(parse_qs(url.query))
        return self.reply(404, "<h1>404 Not Found</h1>")

    def login(self):
        form = "<form method='post' action='/login.php'><input name='username'><input name='password' type='password'></form>"
        if self.command != "POST":
            return self.reply(200, form)
        length = int(self.headers.get("Content-Length") or 0)
        fields = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        username = fields.get("username", [""])[0]
        password = fields.get("password", [""])[0]
        if username and self.config["users"].get(username) == password:
            return self.reply(302, "", {"Location": "/core/dashboard/"})
        log_auth_warning("[%s] authentication failed for %s" % (self.client_address_seen_by_php(), username))
        return self.reply(200, "<p>Invalid username or password</p>" + form)

    def provision(self, query):
        raw_mac = query.get("mac", [""])[0]
        mac = normalize_mac(raw_mac)
        device = self.config["devices"].get(mac) if mac else None
        if device is None:
            return self.reply(404, "<h1>404 Not Found</h1>")
        password = self.config.get("provision_password", "")
        if password and query.get("password", [""])[0] != password:
            log_auth_warning("[%s] provision attempt bad password for %s" % (self.client_address_seen_by_php(), raw_mac))
            return self.reply(200, "access denied")
        return self.reply(200, "account.1.user_name = %s\n" % device["user"])

    do_GET = do_POST = do_HEAD = route


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="/etc/fusionpbx-web-standin.json")
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    config["devices"] = {normalize_mac(mac): device for mac, device in config.get("devices", {}).items()}
    StandinHandler.config = config
    ThreadingHTTPServer((args.listen, args.port), StandinHandler).serve_forever()


if __name__ == "__main__":
    main()
