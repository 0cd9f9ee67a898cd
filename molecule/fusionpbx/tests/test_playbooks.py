# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's compliance and whitelist playbooks against the two real FusionPBX hosts.

In order: compliance passes on both and writes nothing; event_guard's list edited in FusionPBX's
database (the carrier's node deleted, an unknown network added) is reported as drift of that host
only; the whitelist playbook puts the policy back and compliance passes again.
"""

import pytest

from fleet_playbooks import run_compliance, run_playbook
from fusionpbx_testbed import ACL_NAME, CARRIER, GUARDED, SOLO, sql
import sip_testbed as tb

testinfra_hosts = ["docker://" + GUARDED]

HOSTS = [SOLO, GUARDED]
STALE_NODE = "203.0.113.0/24"


def checks(report, host_name):
    return dict((check["name"], check) for check in report["hosts"][host_name]["checks"])


def acl_rows(pbx):
    return sql(pbx, "SELECT n.node_type, n.node_cidr FROM v_access_control_nodes n JOIN v_access_controls a USING (access_control_uuid)"
                    " WHERE a.access_control_name = '%s' ORDER BY 2" % ACL_NAME)


@pytest.fixture(scope="module")
def carrier_ip():
    return tb.address_of(tb.container(CARRIER))


def test_compliance_passes_on_both_hosts(host, tmp_path):
    before = acl_rows(host)
    rc, output, recap, report, _junit = run_compliance(tmp_path)
    assert rc == 0, output
    assert all(recap[name]["changed"] == 0 for name in HOSTS), recap
    assert report["summary"]["drifted"] == [], report["summary"]
    for name in HOSTS:
        found = checks(report, name)
        assert all(check["status"] != "failed" for check in found.values()), found
        assert found["log-auth-failures"]["status"] == "passed" and "fusionpbx" in found["log-auth-failures"]["message"]
    assert checks(report, GUARDED)["event_guard whitelist"]["status"] == "passed"
    assert "is off" in checks(report, SOLO)["event_guard whitelist"]["message"]
    assert acl_rows(host) == before


def test_event_guard_list_edited_in_fusionpbx_is_drift(host, tmp_path, carrier_ip):
    sql(host, "DELETE FROM v_access_control_nodes WHERE node_cidr = '%s/32' RETURNING 1" % carrier_ip)
    sql(host, "INSERT INTO v_access_control_nodes (access_control_node_uuid, access_control_uuid, node_type, node_cidr)"
              " SELECT gen_random_uuid(), access_control_uuid, 'allow', '%s' FROM v_access_controls"
              " WHERE access_control_name = '%s' RETURNING 1" % (STALE_NODE, ACL_NAME))
    edited = acl_rows(host)
    rc, output, recap, report, _junit = run_compliance(tmp_path)
    assert rc != 0, output
    assert report["summary"]["drifted"] == [GUARDED], report["summary"]
    message = checks(report, GUARDED)["event_guard whitelist"]["message"]
    assert "missing: %s/32" % carrier_ip in message and "not in policy: allow %s" % STALE_NODE in message, message
    assert acl_rows(host) == edited


def test_whitelist_playbook_puts_the_list_back(host, tmp_path, carrier_ip):
    rc, output, recap = run_playbook("whitelist")
    assert rc == 0, output
    assert recap[GUARDED]["changed"] > 0 and recap[SOLO]["changed"] == 0, recap
    nodes = [row[1] for row in acl_rows(host)]
    assert "%s/32" % carrier_ip in nodes and STALE_NODE not in nodes
    rc, output, _recap, report, _junit = run_compliance(tmp_path)
    assert rc == 0 and report["summary"]["drifted"] == [], output
