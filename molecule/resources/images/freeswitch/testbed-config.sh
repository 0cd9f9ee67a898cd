#!/bin/sh
# Turn a FreeSWITCH install's vanilla configuration into the voipguard.pbx SIP test bed, with only
# the changes a test needs. Each change is marked in the file by an XML comment starting with
# "voipguard test bed". Everything else, log-auth-failures=false included, stays as upstream ships it.
#   testbed-config.sh LAYOUT   (classic or fhs, as build-freeswitch.sh)
# $${...} below is FreeSWITCH's own variable syntax, kept literally.
# shellcheck disable=SC2016
set -eu
layout="$1"
case "$layout" in
    classic) conf=/usr/local/freeswitch/conf bin=/usr/local/freeswitch/bin run=/usr/local/freeswitch/run
             mod=/usr/local/freeswitch/mod owned="/usr/local/freeswitch" ;;
    fhs) conf=/etc/freeswitch bin=/usr/bin run=/run/freeswitch mod=/usr/lib/freeswitch/mod
         owned="/etc/freeswitch /var/lib/freeswitch /var/log/freeswitch /var/cache/freeswitch /usr/share/freeswitch" ;;
    *) echo "testbed-config.sh: unknown layout '$layout'" >&2; exit 2 ;;
esac
mark() { printf '<!-- voipguard test bed: %s -->' "$1"; }
# replace FILE OLD NEW WHY: replace the one active line (not an XML comment) containing OLD (fixed
# text) by a comment saying WHY and the line NEW.
replace() {
    OLD="$2" NEW="$3" WHY="$(mark "$4")" python3 -c '
import os, sys
path, old = sys.argv[1], os.environ["OLD"]
lines = open(path, encoding="utf-8").read().split("\n")
found = [i for i, line in enumerate(lines) if old in line and not line.lstrip().startswith("<!--")]
if len(found) != 1:
    sys.exit("testbed-config.sh: expected one active line with %r in %s, found %d" % (old, path, len(found)))
indent = lines[found[0]][: len(lines[found[0]]) - len(lines[found[0]].lstrip())]
lines[found[0]] = indent + os.environ["WHY"] + "\n" + indent + os.environ["NEW"]
open(path, "w", encoding="utf-8").write("\n".join(lines))
' "$1"
}

# The SIP domain phones register to (vanilla: the host's IPv4 address, which would make every
# phone's registration a bare-IP registration).
replace "$conf/vars.xml" 'data="domain=$${local_ip_v4}"' \
    '<X-PRE-PROCESS cmd="set" data="domain=pbx.example.com"/>' \
    'the SIP domain of the test phones'
# No STUN lookups: the test network has no way out.
replace "$conf/vars.xml" 'data="external_rtp_ip=stun:stun.freeswitch.org"' \
    '<X-PRE-PROCESS cmd="set" data="external_rtp_ip=$${local_ip_v4}"/>' \
    'no STUN lookup, the test network has no way out'
replace "$conf/vars.xml" 'data="external_sip_ip=stun:stun.freeswitch.org"' \
    '<X-PRE-PROCESS cmd="set" data="external_sip_ip=$${local_ip_v4}"/>' \
    'no STUN lookup, the test network has no way out'
# The test phones' passwords (vanilla: 1234 for every user).
for user in 1000 1001 1002 1003; do
    replace "$conf/directory/default/$user.xml" '<param name="password" value="$${default_password}"/>' \
        "<param name=\"password\" value=\"secret-$user\"/>" "password of test phone $user"
done
# Modules this image does not build (see modules.conf): not loaded, instead of an error at each start.
sed -n 's/^[[:space:]]*<load module="\(mod_[a-z0-9_]*\)"\/>.*/\1/p' "$conf/autoload_configs/modules.conf.xml" | while read -r module; do
    if [ ! -e "$mod/$module.so" ]; then
        replace "$conf/autoload_configs/modules.conf.xml" "<load module=\"$module\"/>" \
            "<!-- <load module=\"$module\"/> -->" "$module is not built in this image"
    fi
done

# FreeSWITCH runs as its own user, as the packages and FusionPBX's installer set it up.
getent group freeswitch >/dev/null || groupadd --system freeswitch
getent passwd freeswitch >/dev/null || useradd --system --gid freeswitch --home-dir /nonexistent --shell /usr/sbin/nologin freeswitch
for dir in $owned; do
    mkdir -p "$dir"
    chown -R freeswitch:freeswitch "$dir"
done

# A classic source install leaves freeswitch and fs_cli in $bin, off the PATH (make install
# links nothing): the role has to find them there.

cat >/etc/systemd/system/freeswitch.service <<UNIT
# FreeSWITCH ($layout layout), after upstream's build/freeswitch.service: foreground, no console.
# -nonat: no UPnP/NAT-PMP discovery on the test network. -np: normal priority, as a container may
# not raise its scheduling class.
[Unit]
Description=FreeSWITCH
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=freeswitch
Group=freeswitch
# The FHS layout's pid file goes to /run/freeswitch, which must belong to the service's user.
RuntimeDirectory=freeswitch
RuntimeDirectoryPreserve=yes
WorkingDirectory=$run
ExecStart=$bin/freeswitch -nc -nf -nonat -np
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=2
LimitNOFILE=100000

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable freeswitch.service

# Every library each binary and module needs is in the image.
missing=$(find / -path /proc -prune -o \( -name 'mod_*.so' -o -name freeswitch -o -name fs_cli -o -name 'libfreeswitch.so*' \) -type f -exec ldd {} + 2>/dev/null |
    grep 'not found' | sort -u || true)
[ -z "$missing" ] || { echo "testbed-config.sh: missing libraries:" >&2; echo "$missing" >&2; exit 1; }
