#!/bin/sh
# First boot of a voipguard/fusionpbx container: the steps of FusionPBX's installer that need the running
# container, not the image build. Run once by fusionpbx-firstboot.service, before the services that use
# them; everything else was done at build time (install-fusionpbx.sh). Takes about a second.
#   1. iptables backend. The installer switches bookworm to iptables-legacy (iptables.sh:25-29, done at
#      build time). A container has the host's kernel: when the legacy tables cannot be used there, back
#      to iptables-nft (fail2ban's iptables actions and FusionPBX's event_guard both run "iptables").
#   2. The installer's firewall rules (iptables.sh:55-92, kept verbatim in installer-iptables-rules.sh),
#      saved for later boots as its iptables-persistent autosave does (iptables.sh:99-101).
#      FUSIONPBX_FIREWALL=no in the container's environment (docker run -e, molecule's env) skips them.
#   3. A self-signed certificate for this container's hostname (ssl-cert's snakeoil, which nginx uses:
#      nginx.sh:82-83); the image's was made for the build container.
#   4. An empty FusionPBX cache: entries are keyed by hostname (<hostname>.configuration.sofia.conf).
set -u
lib=/usr/local/lib/fusionpbx
marker=/var/lib/fusionpbx/firstboot.done
log() { echo "fusionpbx-firstboot: $*"; }

# systemd gives its services a clean environment: the container's own (docker run -e) is PID 1's.
firewall=$(tr '\0' '\n' </proc/1/environ 2>/dev/null | sed -n 's/^FUSIONPBX_FIREWALL=//p' | tail -n 1)
# shellcheck source=/dev/null
[ -r /etc/default/fusionpbx-firstboot ] && . /etc/default/fusionpbx-firstboot
firewall=${firewall:-${FUSIONPBX_FIREWALL:-yes}}

if [ "$firewall" != no ]; then
    if ! iptables -w -n -L INPUT >/dev/null 2>&1; then
        if iptables-nft -w -n -L INPUT >/dev/null 2>&1; then
            update-alternatives --set iptables /usr/sbin/iptables-nft
            update-alternatives --set ip6tables /usr/sbin/ip6tables-nft
            log "iptables-legacy does not work on this kernel: iptables now is iptables-nft"
        else
            log "no working iptables (is NET_ADMIN granted?): the installer's rules are not applied"
            firewall=no
        fi
    fi
fi
if [ "$firewall" != no ]; then
    # No set -e: as in the installer, a rule the kernel refuses (a missing xt_string, DSCP...) is reported
    # and the others still apply.
    log "applying the installer's iptables rules ($(iptables --version))"
    sh "$lib/installer-iptables-rules.sh"
    netfilter-persistent save >/dev/null || log "netfilter-persistent save failed"
else
    log "the installer's iptables rules are not applied (FUSIONPBX_FIREWALL=no or no iptables)"
fi

make-ssl-cert generate-default-snakeoil --force-overwrite || log "could not make a certificate for $(hostname)"

find /var/cache/fusionpbx -mindepth 1 -delete
chown www-data:www-data /var/cache/fusionpbx

mkdir -p "${marker%/*}"
: >"$marker"
log "done for $(hostname)"
