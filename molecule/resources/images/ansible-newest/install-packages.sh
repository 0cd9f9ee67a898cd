#!/bin/sh
# The Debian packages of the voipguard/ansible-newest image, from Debian SUITE's archive:
#   install-packages.sh SUITE
# python3-venv for the toolchain's virtualenv and ansible-test's; git (sanity copies what git tracks);
# ansible-test's shell script checker; docker-cli (molecule's docker connection, to the host's engine);
# what the integration tests run for real, as `make integration` requires on the host: fail2ban (fail2ban-regex,
# fail2ban-client, fail2ban-server) with python3-pyinotify (Debian's fail2ban recommends it: the ban action's
# tests run a pyinotify jail), nftables with iproute2 and util-linux's unshare/nsenter (network namespaces),
# sip-tester (sipp), postgresql and postgresql-client (the FusionPBX database tests, through runuser),
# e2fsprogs (chattr);
# the en_US.UTF-8 locale ansible-test runs its tests in when the system has it.
# No service starts during the build: policy-rc.d refuses every start a package's scripts ask for.
set -eu
suite="$1"
here="$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
sh "$here/set-apt-sources.sh" "$suite"
printf '#!/bin/sh\n# voipguard image build: no service starts while packages install\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get update
apt-get install -y --no-install-recommends \
    python3 python3-venv git ca-certificates docker-cli shellcheck locales \
    fail2ban python3-pyinotify nftables python3-nftables iproute2 sip-tester postgresql postgresql-client e2fsprogs
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
locale-gen
