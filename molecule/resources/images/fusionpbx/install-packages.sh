#!/bin/sh
# The Debian packages that FusionPBX's official Debian installer (fusionpbx-install.sh: debian/install.sh
# and the debian/resources/*.sh it runs) installs, taken from Debian 12 alone. The installer takes PHP from
# packages.sury.org and PostgreSQL 18 from apt.postgresql.org; here they come from Debian (PHP 8.2, which
# is Debian 12's own PHP, and PostgreSQL 15). Each group names the installer lines it stands for
# ("php.sh:157" = debian/resources/php.sh line 157). PLAN.md lists what is left out and why.
#   install-packages.sh
# Environment: FUSIONPBX_EXTRA_PACKAGES (default empty): more Debian packages, e.g. the installer's
# "ffmpeg ghostscript libtiff5-dev php8.2-dev vim git snmpd haveged" that this image leaves out.
#
# No service starts during the build: policy-rc.d refuses every start the packages' scripts ask for
# (PostgreSQL's cluster, nginx, php-fpm, fail2ban, rsyslog...). install-fusionpbx.sh starts PostgreSQL
# and FreeSWITCH by hand for the installer steps that need them.
set -eu
export DEBIAN_FRONTEND=noninteractive
# postgresql-15's postinst creates cluster 15/main with the locale of this environment: without one it
# would be SQL_ASCII. C.UTF-8 is built into Debian 12's libc (a real Debian host has its own UTF-8 locale).
export LANG=C.UTF-8 LC_ALL=C.UTF-8

printf '#!/bin/sh\n# voipguard image build: no service starts while packages install\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

# iptables.sh:99-100, answered before iptables-persistent installs.
echo iptables-persistent iptables-persistent/autosave_v4 boolean true | debconf-set-selections
echo iptables-persistent iptables-persistent/autosave_v6 boolean true | debconf-set-selections

apt-get update
# --no-install-recommends as in every image of this project (the installer installs Recommends, with apt's
# default); the Recommends that change how this host behaves are named: logrotate (rsyslog's), and
# python3-pyinotify, python3-systemd, nftables (fail2ban's: its backend and ban actions). Left out: an MTA
# (exim4, recommended by at and cron), whois, sysstat.
# shellcheck disable=SC2086 # FUSIONPBX_EXTRA_PACKAGES is a list of package names
apt-get install -y --no-install-recommends \
    lsb-release ca-certificates dialog nano net-tools unzip \
    iptables iptables-persistent \
    sngrep \
    nginx \
    php8.2 php8.2-common php8.2-cli php8.2-fpm php8.2-pgsql php8.2-sqlite3 php8.2-odbc php8.2-curl \
    php8.2-imap php8.2-xml php8.2-gd php8.2-mbstring php8.2-ldap php8.2-snmp \
    dbus ssl-cert qrencode libtiff-tools at \
    fail2ban rsyslog logrotate python3-pyinotify python3-systemd nftables \
    sudo postgresql \
    cron \
    ${FUSIONPBX_EXTRA_PACKAGES:-}
# Which installer lines the list above stands for:
#   install.sh:20-28       lsb-release ca-certificates dialog nano net-tools unzip (systemd, systemd-sysv:
#                          the base image; wget, gpg: only for downloads and third-party keys)
#   iptables.sh:26,101     iptables iptables-persistent
#   sngrep.sh:27           sngrep (Debian's package, as the installer takes it on x86)
#   php.sh:137,157         nginx, the php8.2-* list less php8.2-dev (builds PECL extensions: nothing here
#                          does) and php8.2-inotify (sury only, not in Debian 12; FusionPBX 5.5 calls no
#                          inotify_* function)
#   fusionpbx.sh:14-15     dbus ssl-cert qrencode libtiff-tools at (vim git haveged ffmpeg ghostscript
#                          libtiff5-dev: see PLAN.md)
#   fail2ban.sh:15         fail2ban rsyslog
#   postgresql.sh:23       sudo postgresql (the database_repo=system branch, postgresql.sh:21-27)
#   finish.sh:112          cron

# php8.2 depends on "libapache2-mod-php8.2 | php8.2-fpm | php8.2-cgi": with php8.2-fpm in the same
# request apt must not pick Apache (nginx.sh:98-105 stops and disables it when it is there).
if dpkg -s apache2 >/dev/null 2>&1; then
    echo "install-packages.sh: apache2 was installed alongside nginx (see php8.2's dependency)" >&2
    exit 1
fi

# iptables.sh:25-29: on bookworm the installer switches iptables to the legacy backend.
# fusionpbx-firstboot.sh switches back when the container's kernel has no legacy tables.
update-alternatives --set iptables /usr/sbin/iptables-legacy
update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy

# What the build cannot have saved: iptables-persistent's autosave ran without NET_ADMIN.
rm -f /etc/iptables/rules.v4 /etc/iptables/rules.v6

rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/*
# As in the base images: an old lists directory tells apt users that the cache needs a refresh.
touch -d @0 /var/lib/apt/lists
