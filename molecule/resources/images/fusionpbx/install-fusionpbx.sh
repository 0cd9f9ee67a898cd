#!/bin/sh
# Install FusionPBX 5.5 on voipguard/freeswitch:1.11.2-fhs the way FusionPBX's official Debian installer
# does (fusionpbx-install.sh: debian/install.sh, which runs debian/resources/*.sh), offline, after
# install-packages.sh. Each step names the installer lines it reproduces: "finish.sh:42" is
# debian/resources/finish.sh line 42, "install.sh:39" debian/install.sh line 39. Data files (nginx site,
# fail2ban filters and jail.local, config.conf, FreeSWITCH unit, backup scripts) are copied from the pinned
# installer, never retyped. What the installer downloads comes from the pinned tarballs or is skipped
# (PLAN.md says what and why).
#   install-fusionpbx.sh FUSIONPBX_SOURCE INSTALLER_SOURCE
# FUSIONPBX_SOURCE, INSTALLER_SOURCE: tarball names in /usr/src without .tar.gz
# (fusionpbx-5.5-56cb26d35b, fusionpbx-install.sh-4edf944a30).
# Environment:
#   FUSIONPBX_DOMAIN          the FusionPBX domain (config.sh's domain_name). Default pbx.example.com, the
#                             test bed's SIP domain: the installer's default, ip_address, would freeze the
#                             build container's address into the image.
#   FUSIONPBX_ADMIN_PASSWORD  the admin user's password (config.sh's system_password). Default: random, as
#                             the installer; either way written to /root/fusionpbx-install.txt.
#
# An image build has no systemd: the steps that need PostgreSQL (postgresql.sh, finish.sh) run with the
# cluster started by pg_ctlcluster, and those that need FreeSWITCH (finish.sh's upgrade.php --defaults
# asks it for its directories over the event socket) with FreeSWITCH started by hand as its unit would.
# Both are stopped cleanly before the layer is committed. What needs the running container (the
# installer's firewall rules) is left to fusionpbx-firstboot.sh.
# The installer's settings are variables of its config.sh, sourced below:
# shellcheck disable=SC2154,SC2034
set -eu
fusionpbx_source="$1"
installer_source="$2"
src=/usr/src
installer=/usr/src/fusionpbx-install.sh
res="$installer/debian/resources"
logs=/var/log/fusionpbx-install
mkdir -p "$logs"

step() { echo "--- $*"; }
die() { echo "install-fusionpbx.sh: $*" >&2; exit 1; }
# run NAME COMMAND...: run a long installer command with its output in $logs/NAME.log (the end is shown).
run() {
    name="$1"
    shift
    if ! "$@" >"$logs/$name.log" 2>&1; then
        tail -n 40 "$logs/$name.log" >&2
        die "$name failed (log: $logs/$name.log)"
    fi
    tail -n 3 "$logs/$name.log"
}
as_postgres() { sudo -u postgres psql -X -q "$@"; }
# The query's single value, read as the postgres superuser.
query() { sudo -u postgres psql -X -q -d fusionpbx -tAc "$1"; }

step "pre-install.sh:13: the installer in /usr/src/fusionpbx-install.sh (git clone: the pinned tarball)"
rm -rf "$installer"
mkdir -p "$installer"
tar -xzf "$src/$installer_source.tar.gz" -C "$installer" --strip-components=1

# The installer's settings (config.sh), with the values this image changes. Unchanged: system_branch=5.5,
# system_username=admin, database_name=fusionpbx, database_username=fusionpbx, database_host=127.0.0.1,
# database_port=5432, database_password=random, php_version=8.2, letsencrypt_folder=true.
# shellcheck source=/dev/null
. "$res/config.sh"
database_repo=system                                # config.sh:23 official (apt.postgresql.org)
database_version=15                                 # config.sh:24 18: the one Debian 12 ships
domain_name="${FUSIONPBX_DOMAIN:-pbx.example.com}"  # config.sh:3 ip_address
system_password="${FUSIONPBX_ADMIN_PASSWORD:-random}"
php_ini_file=/etc/php/$php_version/fpm/php.ini

step "php.sh:200-203: php.ini of php-fpm"
sed 's#post_max_size = .*#post_max_size = 80M#g' -i "$php_ini_file"
sed 's#upload_max_filesize = .*#upload_max_filesize = 80M#g' -i "$php_ini_file"
sed 's#;max_input_vars = .*#max_input_vars = 8000#g' -i "$php_ini_file"
sed 's#; max_input_vars = .*#max_input_vars = 8000#g' -i "$php_ini_file"
# php.sh:206-208 (ioncube.sh, downloads the ionCube loader): skipped. php.sh:211-228 (restart): at boot.

step "nginx.sh:46-96: FusionPBX's site"
cp "$res/nginx/fusionpbx" /etc/nginx/sites-available/fusionpbx
sed -i /etc/nginx/sites-available/fusionpbx -e "s#unix:.*;#unix:/var/run/php/php$php_version-fpm.sock;#g"
ln -s /etc/nginx/sites-available/fusionpbx /etc/nginx/sites-enabled/fusionpbx
ln -s /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/private/nginx.key
ln -s /etc/ssl/certs/ssl-cert-snakeoil.pem /etc/ssl/certs/nginx.crt
rm /etc/nginx/sites-enabled/default
mkdir -p /var/www/letsencrypt/
nginx -t
# nginx.sh:98-114 (apache2, restart): no apache2 here (install-packages.sh checks); nginx starts at boot.

step "fusionpbx.sh:27-32: FusionPBX 5.5 in /var/www/fusionpbx (git clone -b 5.5: the pinned tarball)"
mkdir -p /var/cache/fusionpbx
chown -R www-data:www-data /var/cache/fusionpbx
mkdir -p /var/www/fusionpbx
tar -xzf "$src/$fusionpbx_source.tar.gz" -C /var/www/fusionpbx --strip-components=1
chown -R www-data:www-data /var/www/fusionpbx
# install.sh:54 applications.sh (git clones of transcribe, speech, language_model, device_logs): skipped.

step "fail2ban.sh:18-29: FusionPBX's filters and jail.local"
for filter in freeswitch freeswitch-acl sip-auth-failure sip-auth-challenge auth-challenge-ip freeswitch-ip \
    fusionpbx fusionpbx-mac fusionpbx-404 nginx-404 nginx-dos; do
    cp "$res/fail2ban/$filter.conf" "/etc/fail2ban/filter.d/$filter.conf"
done
cp "$res/fail2ban/jail.local" /etc/fail2ban/jail.local
# Not the installer's: the logs its enabled jails read, present before fail2ban's first start (fail2ban
# starts without waiting for rsyslog, and refuses to start when a jail's log file is missing).
for log in /var/log/auth.log /var/log/syslog; do
    [ -e "$log" ] || install -m 640 -o root -g adm /dev/null "$log"
done
for log in /var/log/nginx/access.log /var/log/nginx/error.log; do
    [ -e "$log" ] || install -m 640 -o www-data -g adm /dev/null "$log"
done

step "iptables.sh:55-92: the installer's rules, kept for the first boot (they need NET_ADMIN)"
mkdir -p /usr/local/lib/fusionpbx
{
    echo '#!/bin/sh'
    echo "# debian/resources/iptables.sh of $installer_source, from '#flush iptables' to before"
    echo "# '#save iptables', verbatim. Run once by fusionpbx-firstboot.sh."
    sed -n '/^#flush iptables/,/^#save iptables/p' "$res/iptables.sh" | sed '$d'
} >/usr/local/lib/fusionpbx/installer-iptables-rules.sh
grep -q '^iptables -P INPUT DROP$' /usr/local/lib/fusionpbx/installer-iptables-rules.sh ||
    die "the installer's iptables rules were not found in $res/iptables.sh"

step "postgresql.sh:15-105: PostgreSQL $database_version (Debian's), database and role fusionpbx"
password=$(dd if=/dev/urandom bs=1 count=20 2>/dev/null | base64)
# postgresql.sh:75 pg_createcluster: postgresql-15's postinst created 15/main already (on a real host the
# installer's call fails the same way, the official package having made its cluster too).
sed -i "/etc/postgresql/$database_version/main/pg_hba.conf" -e '/^#/!s/scram-sha-256/md5/g'
# postgresql.sh:82-83 systemctl restart postgresql: no systemd here.
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
pg_ctlcluster "$database_version" main start
cwd=$(pwd)
cd /tmp
as_postgres -c "SELECT pg_reload_conf();"
as_postgres -c "SET client_encoding = 'UTF8';"
as_postgres -c "CREATE DATABASE fusionpbx;"
as_postgres -c "CREATE ROLE fusionpbx WITH SUPERUSER LOGIN PASSWORD '$password';"
as_postgres -c "GRANT ALL PRIVILEGES ON DATABASE fusionpbx to fusionpbx;"
cd "$cwd"
[ "$(query 'show server_encoding')" = UTF8 ] || die "cluster $database_version/main is not UTF8 (see install-packages.sh)"

step "switch.sh:10-31: FusionPBX's switch configuration on the base image's FreeSWITCH 1.11.2 (FHS)"
# switch.sh:13-17 source-release.sh (git clones and builds of libks, sofia-sip, spandsp, FreeSWITCH): the
# base image, built from the pinned sources with mod_lua and mod_pgsql.
mkdir -p /var/lib/freeswitch/storage/voicemail        # source-release.sh:199
# switch.sh:20 source-sounds.sh (downloads the sounds): skipped, its directories only (lines 11, 32, 47).
mkdir -p /usr/share/freeswitch/sounds/music/default
# Where upgrade.php --defaults copies FusionPBX's Lua scripts (switch_files::copy_scripts throws when
# it is missing).
mkdir -p /usr/share/freeswitch/scripts
sh "$res/switch/conf-copy.sh"                           # switch.sh:23
mkdir -p /var/run/freeswitch                            # package-permissions.sh:12 chowns it
sh "$res/switch/package-permissions.sh"                 # switch.sh:27
# switch.sh:31 package-systemd.sh. The base image's own unit, /etc/systemd/system/freeswitch.service (user
# freeswitch, Type=simple), would override the installer's in /lib/systemd/system: removed.
rm -f /etc/systemd/system/multi-user.target.wants/freeswitch.service /etc/systemd/system/freeswitch.service
cp "$res/switch/source/freeswitch.service.package" /lib/systemd/system/freeswitch.service   # :2
cp "$res/switch/source/etc.default.freeswitch.package" /etc/default/freeswitch              # :3
chmod 644 /lib/systemd/system/freeswitch.service                                           # :4
# :5-9 comment out CPUSchedulingPolicy on OpenVZ; a container needs the same, as a drop-in.
mkdir -p /etc/systemd/system/freeswitch.service.d
cat >/etc/systemd/system/freeswitch.service.d/container.conf <<'UNIT'
# voipguard image: FusionPBX's freeswitch.service asks for real-time CPU and I/O scheduling, which a
# container may not set: the unit fails with status=214/SETSCHEDULER. The installer comments out
# CPUSchedulingPolicy on OpenVZ (package-systemd.sh:5-9) for the same reason. Normal scheduling instead
# (an empty CPUSchedulingPriority= would be ignored, not reset); an empty IOSchedulingClass= resets both
# I/O settings.
# After PostgreSQL: FusionPBX's Lua xml_handler reads the SIP profiles from it when sofia starts (the unit
# itself only waits 10 s, ExecStartPre=/bin/sleep 10).
[Unit]
After=postgresql.service

[Service]
CPUSchedulingPolicy=other
CPUSchedulingPriority=0
IOSchedulingClass=
UNIT
systemctl enable freeswitch                                                                 # :10
systemctl unmask freeswitch.service                                                         # :11
# :12-13 daemon-reload, start: FreeSWITCH is started by hand below, for finish.sh.

step "finish.sh:11-39: database password, backup jobs, /etc/fusionpbx/config.conf"
database_username=fusionpbx
if [ ."$database_password" = .'random' ]; then
    database_password=$(dd if=/dev/urandom bs=1 count=20 2>/dev/null | base64 | sed 's/[=\+//]//g')
fi
export PGPASSWORD="$database_password"
cd /tmp
as_postgres -c "ALTER USER fusionpbx WITH PASSWORD '$database_password';"
# finish.sh:23 ALTER USER freeswitch: postgresql.sh creates no such role, the installer's call fails: left out.
cd "$cwd"
cp "$res/backup/fusionpbx-backup" /etc/cron.daily
cp "$res/backup/fusionpbx-maintenance" /etc/cron.daily
chmod 755 /etc/cron.daily/fusionpbx-backup
chmod 755 /etc/cron.daily/fusionpbx-maintenance
sed -i "s/zzz/$database_password/g" /etc/cron.daily/fusionpbx-backup
sed -i "s/zzz/$database_password/g" /etc/cron.daily/fusionpbx-maintenance
mkdir -p /etc/fusionpbx
cp "$res/fusionpbx/config.conf" /etc/fusionpbx
sed -i /etc/fusionpbx/config.conf -e s:"{database_host}:$database_host:"
sed -i /etc/fusionpbx/config.conf -e s:"{database_name}:$database_name:"
sed -i /etc/fusionpbx/config.conf -e s:"{database_username}:$database_username:"
sed -i /etc/fusionpbx/config.conf -e s:"{database_password}:$database_password:"

psql_fusionpbx() { psql --host="$database_host" --port="$database_port" --username="$database_username" "$@"; }
upgrade() { (cd /var/www/fusionpbx && /usr/bin/php /var/www/fusionpbx/core/upgrade/upgrade.php "$@"); }

step "finish.sh:42: upgrade.php --schema"
run schema upgrade --schema

step "finish.sh:45-58: the domain $domain_name"
# finish.sh:45-52 turn domain_name=hostname or ip_address into a name; a custom value is kept as it is.
domain_uuid=$(/usr/bin/php /var/www/fusionpbx/resources/uuid.php)
psql_fusionpbx -c "insert into v_domains (domain_uuid, domain_name, domain_enabled) values('$domain_uuid', '$domain_name', 'true');"

# On a real host FreeSWITCH runs from switch.sh on (package-systemd.sh:13), so through all of finish.sh.
# upgrade.php --defaults needs it: app/modules/app_defaults.php asks it for its directories (api
# global_getvar over the event socket, resources/classes/switch_settings.php:95) and stores them as the
# switch/* default settings; without it they stay empty for good. Started here, after config.conf and
# the schema exist (its Lua xml_handler reads both), as the unit starts it (freeswitch.service.package:17-20).
start_freeswitch() {
    mkdir -p /var/run/freeswitch
    chown -R www-data:www-data /var/lib/freeswitch /var/log/freeswitch /etc/freeswitch /usr/share/freeswitch /var/run/freeswitch
    # The unit's -ncwait would also wait for FreeSWITCH, but with no time limit of its own: -nc and our poll.
    /usr/bin/freeswitch -u www-data -g www-data -nc -nonat
    waited=0
    until fs_cli -x status 2>/dev/null | grep -q '^UP '; do
        waited=$((waited + 1))
        if [ "$waited" -ge 60 ]; then
            tail -n 40 /var/log/freeswitch/freeswitch.log >&2 || true
            die "FreeSWITCH did not answer fs_cli within 60 s"
        fi
        sleep 1
    done
}
stop_freeswitch() {
    pid=$(cat /var/run/freeswitch/freeswitch.pid 2>/dev/null || true)
    fs_cli -x 'fsctl shutdown' >/dev/null 2>&1 || true
    waited=0
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        waited=$((waited + 1))
        if [ "$waited" -ge 30 ]; then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
    done
}
step "FreeSWITCH started by hand (stands for package-systemd.sh:13)"
start_freeswitch

step "finish.sh:61: upgrade.php --defaults"
run defaults-1 upgrade --defaults

step "finish.sh:64-83: the admin user, in group superadmin"
user_uuid=$(/usr/bin/php /var/www/fusionpbx/resources/uuid.php)
user_salt=$(/usr/bin/php /var/www/fusionpbx/resources/uuid.php)
user_name=$system_username
if [ ."$system_password" = .'random' ]; then
    user_password=$(dd if=/dev/urandom bs=1 count=20 2>/dev/null | base64 | sed 's/[=\+//]//g')
else
    user_password=$system_password
fi
password_hash=$(/usr/bin/php -r "echo md5('$user_salt$user_password');")
psql_fusionpbx -t -c "insert into v_users (user_uuid, domain_uuid, username, password, salt, user_enabled) values('$user_uuid', '$domain_uuid', '$user_name', '$password_hash', '$user_salt', 'true');"
group_uuid=$(psql_fusionpbx -qtAX -c "select group_uuid from v_groups where group_name = 'superadmin';")
[ -n "$group_uuid" ] || die "no superadmin group after upgrade.php --defaults"
user_group_uuid=$(/usr/bin/php /var/www/fusionpbx/resources/uuid.php)
group_name=superadmin
psql_fusionpbx -c "insert into v_user_groups (user_group_uuid, domain_uuid, group_name, group_uuid, user_uuid) values('$user_group_uuid', '$domain_uuid', '$group_name', '$group_uuid', '$user_uuid');"

step "finish.sh:86-92: xml_cdr.conf.xml"
xml_cdr_username=$(dd if=/dev/urandom bs=1 count=20 2>/dev/null | base64 | sed 's/[=\+//]//g')
xml_cdr_password=$(dd if=/dev/urandom bs=1 count=20 2>/dev/null | base64 | sed 's/[=\+//]//g')
sed -i /etc/freeswitch/autoload_configs/xml_cdr.conf.xml -e s:"{v_http_protocol}:http:"
sed -i /etc/freeswitch/autoload_configs/xml_cdr.conf.xml -e s:"{domain_name}:$database_host:"
sed -i /etc/freeswitch/autoload_configs/xml_cdr.conf.xml -e s:"{v_project_path}::"
sed -i /etc/freeswitch/autoload_configs/xml_cdr.conf.xml -e s:"{v_user}:$xml_cdr_username:"
sed -i /etc/freeswitch/autoload_configs/xml_cdr.conf.xml -e s:"{v_pass}:$xml_cdr_password:"

step "finish.sh:95: upgrade.php --defaults (again)"
run defaults-2 upgrade --defaults
step "finish.sh:98: upgrade.php --permissions"
run permissions upgrade --permissions
# finish.sh:101-102 systemctl restart freeswitch: at boot.
mkdir -p /var/run/fusionpbx                      # finish.sh:105-106 (the services' RuntimeDirectory at boot)
chown -R www-data:www-data /var/run/fusionpbx
step "finish.sh:109: upgrade.php --services (unit files into /etc/systemd/system, enabled; they start at boot)"
run services upgrade --services
# The services retry without limit until PostgreSQL and FreeSWITCH answer (StartLimitIntervalSec=0, or
# RestartSec=5 for websockets, active_calls, active_conferences): no ordering added.
# finish.sh:112 apt install cron: install-packages.sh.
chmod 664 /etc/fusionpbx/config.conf             # finish.sh:115
# finish.sh:118 systemctl restart nginx freeswitch: at boot.

step "checks: what the installer's steps must have left in the database and on disk"
check() { # WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || die "check failed: $1: expected '$2', found '$3'"
    echo "ok: $1 = $3"
}
check "switch conf dir (from FreeSWITCH's global_getvar)" /etc/freeswitch \
    "$(query "select default_setting_value from v_default_settings where default_setting_category = 'switch' and default_setting_subcategory = 'conf'")"
check "switch mod dir" /usr/lib/freeswitch/mod \
    "$(query "select default_setting_value from v_default_settings where default_setting_category = 'switch' and default_setting_subcategory = 'mod'")"
check "sip profiles" "external external-ipv6 internal internal-ipv6" \
    "$(query "select string_agg(sip_profile_name, ' ' order by sip_profile_name) from v_sip_profiles where sip_profile_enabled and coalesce(sip_profile_hostname, '') = ''")"
check "internal log-auth-failures" "false true" \
    "$(query "select s.sip_profile_setting_value || ' ' || s.sip_profile_setting_enabled from v_sip_profile_settings s join v_sip_profiles p using (sip_profile_uuid) where p.sip_profile_name = 'internal' and s.sip_profile_setting_name = 'log-auth-failures'")"
check "rfc1918 allow nodes" "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16" \
    "$(query "select string_agg(n.node_cidr, ' ' order by n.node_cidr) from v_access_control_nodes n join v_access_controls a using (access_control_uuid) where a.access_control_name = 'rfc1918' and n.node_type = 'allow'")"
check "admin user" 1 "$(query "select count(*) from v_users u join v_user_groups g using (user_uuid) where u.username = '$user_name' and g.group_name = 'superadmin'")"
check "event_guard service row" 1 "$(query "select count(*) from v_services where service_name = 'event_guard' and service_enabled")"
for unit in event_guard websockets active_calls active_conferences system_status xml_cdr email_queue fax_queue; do
    if [ ! -f "/etc/systemd/system/$unit.service" ] || [ ! -L "/etc/systemd/system/multi-user.target.wants/$unit.service" ]; then
        die "check failed: $unit.service is not installed and enabled"
    fi
done
echo "ok: FusionPBX services installed and enabled"
for module in mod_sofia mod_lua mod_event_socket mod_syslog; do
    grep -q "<load module=\"$module\"/>" /etc/freeswitch/autoload_configs/modules.conf.xml ||
        die "check failed: modules.conf.xml was not written from v_modules ($module missing)"
done
echo "ok: modules.conf.xml written from v_modules"
if [ ! -f /usr/share/freeswitch/scripts/app.lua ] || [ ! -f /usr/share/freeswitch/scripts/resources/functions/config.lua ]; then
    die "check failed: FusionPBX's Lua scripts are not in /usr/share/freeswitch/scripts"
fi
echo "ok: Lua scripts in /usr/share/freeswitch/scripts"
if [ ! -f /etc/freeswitch/sip_profiles/internal.xml.noload ] || [ -e /etc/freeswitch/sip_profiles/internal.xml ]; then
    die "check failed: /etc/freeswitch/sip_profiles is not FusionPBX's (profiles come from the database only)"
fi
echo "ok: sip_profiles/ holds only FusionPBX's *.noload and empty.xml"

step "stop FreeSWITCH and PostgreSQL; leave nothing of this build container behind"
stop_freeswitch
unset PGPASSWORD
pg_ctlcluster "$database_version" main stop -m fast
# The cache holds entries keyed by the build container's hostname (<hostname>.configuration.sofia.conf)
# and files written as root; the installer's switch/dsn.sh flushes it the same way.
find /var/cache/fusionpbx -mindepth 1 -delete
chown www-data:www-data /var/cache/fusionpbx
# FreeSWITCH's own SQLite databases (registrations and channels keyed by hostname) and the build's log
# lines (switch/dsn.sh:50-57 removes the same databases).
rm -f /var/lib/freeswitch/db/*.db /var/log/freeswitch/freeswitch.log*
rm -rf /var/run/freeswitch /var/run/fusionpbx /var/run/postgresql/* /tmp/* /var/tmp/*
# Emptied, not recreated: the file must stay the postgres user's.
pg_log="/var/log/postgresql/postgresql-$database_version-main.log"
[ ! -f "$pg_log" ] || truncate -s 0 "$pg_log"
# package-permissions.sh once more: upgrade.php wrote files as root.
mkdir -p /var/run/freeswitch
sh "$res/switch/package-permissions.sh"
rm -rf /var/run/freeswitch

step "finish.sh:121-152: what the installer prints"
umask 077
cat >/root/fusionpbx-install.txt <<EOF
# FusionPBX $system_branch installed by install-fusionpbx.sh ($fusionpbx_source, $installer_source)
domain name: https://$domain_name (or the container's address; log in as $user_name@$domain_name)
username: $user_name
password: $user_password
database: $database_name on $database_host:$database_port, user $database_username, password $database_password
EOF
cat /root/fusionpbx-install.txt

rm -f "$src/$fusionpbx_source.tar.gz" "$src/$installer_source.tar.gz"
