-- FusionPBX's Sofia SIP profile tables, seeded as a stock FusionPBX install has them (test fixture of
-- the voipguard.pbx molecule scenario `sofia`, loaded by molecule/resources/fusionpbx/install.yml).
-- Column names and types follow FusionPBX's app/sip_profiles/app_config.php (the enabled flags are the
-- text 'true'/'false' of the long-standing schema); the rows are FusionPBX's default profiles with a
-- subset of their default settings, log-auth-failures = 'false' as FusionPBX ships it since 2022.
-- v_sip_profile_domains and v_sofia_global_settings are here as rows the collection must never touch.
-- Run as the database owner (the fusionpbx role), in one transaction.

BEGIN;

CREATE TABLE v_sip_profiles (
    sip_profile_uuid uuid PRIMARY KEY,
    sip_profile_name text,
    sip_profile_hostname text,
    sip_profile_enabled text,
    sip_profile_description text,
    insert_date timestamp with time zone,
    insert_user uuid,
    update_date timestamp with time zone,
    update_user uuid
);

CREATE TABLE v_sip_profile_domains (
    sip_profile_domain_uuid uuid PRIMARY KEY,
    sip_profile_uuid uuid REFERENCES v_sip_profiles (sip_profile_uuid),
    sip_profile_domain_name text,
    sip_profile_domain_alias text,
    sip_profile_domain_parse text,
    insert_date timestamp with time zone,
    insert_user uuid,
    update_date timestamp with time zone,
    update_user uuid
);

CREATE TABLE v_sip_profile_settings (
    sip_profile_setting_uuid uuid PRIMARY KEY,
    sip_profile_uuid uuid REFERENCES v_sip_profiles (sip_profile_uuid),
    sip_profile_setting_name text,
    sip_profile_setting_value text,
    sip_profile_setting_enabled text,
    sip_profile_setting_description text,
    insert_date timestamp with time zone,
    insert_user uuid,
    update_date timestamp with time zone,
    update_user uuid
);

CREATE TABLE v_sofia_global_settings (
    sofia_global_setting_uuid uuid PRIMARY KEY,
    global_setting_name text,
    global_setting_value text,
    global_setting_enabled text,
    global_setting_description text,
    insert_date timestamp with time zone,
    insert_user uuid,
    update_date timestamp with time zone,
    update_user uuid
);

INSERT INTO v_sip_profiles (sip_profile_uuid, sip_profile_name, sip_profile_hostname, sip_profile_enabled, sip_profile_description, insert_date, insert_user, update_date, update_user) VALUES
    ('2c073449-dd3b-5563-9420-c99daa43e0c6', 'internal', NULL, 'true', 'The Internal profile by default requires registration which is used by the endpoints. By default the Internal profile binds to port 5060.', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'external', NULL, 'true', 'The External profile external provides anonymous calling in the public context. By default the External profile binds to port 5080. Calls can be sent using a SIP URL "voip.domain.com:5080"', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('74331551-9764-55dd-ba17-9b122f5f39df', 'internal-ipv6', NULL, 'false', 'The Internal IPV6 profile binds to the IP version 6 address and is similar to the Internal profile.', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('06a312e8-f53e-56eb-a23d-019b0356c314', 'external-ipv6', NULL, 'false', 'The External IPV6 profile binds to the IP version 6 address and is similar to the External profile.', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL);

INSERT INTO v_sip_profile_domains (sip_profile_domain_uuid, sip_profile_uuid, sip_profile_domain_name, sip_profile_domain_alias, sip_profile_domain_parse, insert_date, insert_user, update_date, update_user) VALUES
    ('d8edacd8-9ecf-5e1b-98c1-26f2b0290897', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'all', 'true', 'false', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('8478a733-0467-5a8b-96b2-83fc5f56ae67', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'all', 'false', 'false', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('88036152-ec34-5295-9057-1b6a755027db', '74331551-9764-55dd-ba17-9b122f5f39df', 'all', 'true', 'false', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('ccbd1777-3cb7-5469-92ea-18c09510e500', '06a312e8-f53e-56eb-a23d-019b0356c314', 'all', 'false', 'false', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL);

INSERT INTO v_sip_profile_settings (sip_profile_setting_uuid, sip_profile_uuid, sip_profile_setting_name, sip_profile_setting_value, sip_profile_setting_enabled, sip_profile_setting_description, insert_date, insert_user, update_date, update_user) VALUES
    ('102d480a-bfdc-5fc9-a26c-f769262bb73d', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'debug', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('4a995193-ff8a-532c-a49a-6cb32c6d7bc5', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'sip-trace', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('592a63b9-34cf-5575-bdcf-603805b84e16', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'sip-capture', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('ad6e4611-3257-5761-b628-06f65afa21ad', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'watchdog-enabled', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('69b43118-f633-5041-9d90-4902ca32d340', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'watchdog-step-timeout', '30000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('704f6516-eb02-579f-960b-157c3cbc2053', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'watchdog-event-timeout', '30000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('5cea9876-b3c0-5e9f-8603-e40a9b79d6aa', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'log-auth-failures', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e43cda32-5019-53cc-97ff-91037bb66abd', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'forward-unsolicited-mwi-notify', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('abe26015-4132-52f7-87cc-e793f3a2bb92', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'context', 'public', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('86a79aff-04f5-5bf4-8f04-578ee8a5384c', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'rfc2833-pt', '101', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('c84eadb5-cb67-5a4f-a326-67ae692455b0', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'sip-port', '$${internal_sip_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('2a507709-146e-57d5-973d-9d4b6f6f9ee0', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'dialplan', 'XML', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('f96d2be2-545a-5401-9d73-c9b347a9f9d6', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'dtmf-duration', '2000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('1ed726e5-9001-5196-aa1f-eca95e9f0f08', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'inbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('79b33c33-1946-5c07-ac15-5524e71632c4', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'outbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('58cc7a90-e25a-552b-9de0-2f8e48ecdb32', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'rtp-timer-name', 'soft', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('48a3ed64-2096-5b15-a2f3-b6bc697aa8e5', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'rtp-ip', '$${local_ip_v4}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('61bf3471-0192-587a-9687-1a503589f4b6', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'sip-ip', '$${local_ip_v4}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cb83f5b2-2c5a-59c2-ae91-116363f19432', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'hold-music', '$${hold_music}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('4fbb986d-50f1-5b8b-8af0-26a12777b5b8', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'apply-nat-acl', 'nat.auto', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('caad26ea-4fb4-5c65-8d72-79c6c58f940e', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'apply-inbound-acl', 'domains', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e9749000-8f06-5edf-975e-9d1f9976d327', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'apply-register-acl', 'domains', 'false', 'Only registrations from the networks in the domains ACL', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('09651814-3f54-5085-abf2-01279fc47cd2', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'local-network-acl', 'localnet.auto', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e596d809-de0e-5396-bd46-b9e922ede481', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'record-path', '$${recordings_dir}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('ac4b6851-4899-56bd-bbfe-4726b7788085', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'record-template', '${domain_name}/archive/${strftime(%Y)}/${strftime(%b)}/${strftime(%d)}/${uuid}.${record_ext}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('f48699c7-c035-5848-a72d-3ba142fa678c', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'manage-presence', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('586b8b98-e511-5208-8723-66aed4a47373', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'presence-hosts', '$${domain},$${local_ip_v4}', 'false', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('a3c14e17-f159-5d54-a8f0-ff7565605dbb', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'inbound-codec-negotiation', 'generous', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('55f0ae78-d541-59fd-87e0-38c74bbc3ee0', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'tls', '$${internal_ssl_enable}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('9d32acc0-5c54-52aa-9d23-f7c14ae12c04', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'tls-only', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('f648efaf-790c-58da-9da2-562689afec22', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'tls-bind-params', 'transport=tls', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('3da92efc-223e-5b1e-8b39-76864fd4fd0d', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'tls-sip-port', '$${internal_tls_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('8046436f-83d8-5e7a-a150-678007f2074c', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'tls-version', '$${sip_tls_version}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('49a6d70a-3424-58c0-8bd9-af2f792322f6', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'inbound-late-negotiation', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('d04acadf-7431-570f-b023-699a88266c92', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'inbound-zrtp-passthru', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('6e9a6ef5-6f6c-5cdd-afc1-4e5d1288d298', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'nonce-ttl', '60', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('0aab46b0-19c3-5f20-8903-f645596847f3', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'auth-calls', '$${internal_auth_calls}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('c086c0a7-ca7b-5088-a3db-243daf26e8cd', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'inbound-reg-force-matching-username', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('f57a041c-b07a-5cf5-8833-b171100b9383', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'auth-all-packets', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('2f589272-56d2-5381-94a7-cfc386f39892', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'ext-rtp-ip', '$${external_rtp_ip}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('bd0365e9-ce64-53aa-ae83-40259b972358', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'ext-sip-ip', '$${external_sip_ip}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('8c2563c6-1b27-5b27-a32b-84d7b5b568ee', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'rtp-timeout-sec', '300', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('be61433b-1b0e-5bc6-8ef6-3f5fb425b855', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'rtp-hold-timeout-sec', '1800', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('2e64c769-6918-5122-9a31-d4a3f01b049c', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'challenge-realm', 'auto_from', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('0f454432-ad43-595e-ba51-9734f264b99d', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'force-register-domain', '$${domain}', 'false', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('35a64991-5d05-51d9-a07d-b61d3421d1d2', '2c073449-dd3b-5563-9420-c99daa43e0c6', 'user-agent-string', 'FusionPBX', 'false', 'Hide the version from SIP scanners', '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('fbc03e6b-63f1-51ee-bc44-85c4efc833f4', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'debug', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('50fb2780-9747-58f6-9d26-9c91f2b675f6', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'sip-trace', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cba5601c-2b23-54b7-a48d-ce5fa1725bc9', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'sip-capture', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('321c2de1-2af0-5c52-90b8-fbdda3ef4ad4', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'rfc2833-pt', '101', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('6ca7605e-9562-5f47-8a27-93890a14726b', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'sip-port', '$${external_sip_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('639e53ef-8184-5793-9029-cc6f042a9663', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'dialplan', 'XML', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('fabefbe2-3aaa-52ff-b8b5-c2e7f35bddc4', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'context', 'public', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('aa515770-13e3-5782-8735-8c4fc806d9a1', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'dtmf-duration', '2000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('918ff85f-9623-56d9-9f5f-aa0f4d38bcf5', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'inbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('60af1c0f-1ded-51f0-8903-7849f50e70bf', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'outbound-codec-prefs', '$${outbound_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('927a2870-ae4b-5770-b872-0f833512e360', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'hold-music', '$${hold_music}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('bbbf1b2e-659c-5e87-93c8-0605234a9d38', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'rtp-timer-name', 'soft', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('519bd0c1-2ba2-5b30-a565-ae53613eb939', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'local-network-acl', 'localnet.auto', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('7d8ae0fd-779a-5ba3-b48e-439a72492157', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'manage-presence', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('257fa196-6b4d-562f-adc7-5f74857d0862', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'inbound-codec-negotiation', 'generous', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('ce5aa2c3-7881-520b-872d-71b43b6c5956', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'nonce-ttl', '60', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('dd69f4ca-a484-5ee4-a071-ad16d7e8598c', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'auth-calls', '$${external_auth_calls}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('c7d26ca0-d0f8-5198-b311-edd468e97236', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'inbound-late-negotiation', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e0b0199a-40bb-5031-9639-31db2d74eba6', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'inbound-zrtp-passthru', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('b07362ee-cd0f-5a5d-88ff-3e7f18ce6f1f', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'rtp-ip', '$${local_ip_v4}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e723135e-0d49-5fb5-aed3-38d9f54f0f7d', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'sip-ip', '$${local_ip_v4}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cfd1898b-c043-5bf7-8a82-e4fb4c8d7d57', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'ext-rtp-ip', '$${external_rtp_ip}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e7171cfd-79f3-5c9b-b758-3b9720284de2', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'ext-sip-ip', '$${external_sip_ip}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('0c2cbce3-141e-5de2-b2ab-32764ff16235', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'rtp-timeout-sec', '300', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('5354927e-ef35-5dc0-9004-768d04a60784', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'rtp-hold-timeout-sec', '1800', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('456a3c15-682d-5795-8431-7f13dd0a6c14', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'log-auth-failures', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('16dd2a4e-38d9-5f5b-bb66-318774865b20', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'tls', '$${external_ssl_enable}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('04fbe526-75c2-55ac-bc6d-03d6e1a15643', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'tls-sip-port', '$${external_tls_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('797f8aa8-7aab-5870-aa65-3e6c963475ac', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'tls-version', '$${sip_tls_version}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('e6ad280f-3abd-5210-9374-1404118478c7', 'e9d2c207-59f3-5b3c-bc10-6a1bc1320e60', 'apply-inbound-acl', 'providers', 'false', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('ae12722e-68aa-568d-9e63-6a7ec707a6a4', '74331551-9764-55dd-ba17-9b122f5f39df', 'debug', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('0bbda084-741e-55cd-a343-030bd26f8d7f', '74331551-9764-55dd-ba17-9b122f5f39df', 'sip-trace', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('767818a9-aaca-53fb-a266-a063df4e9eb8', '74331551-9764-55dd-ba17-9b122f5f39df', 'context', 'public', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('84ea35aa-fa89-5ebf-8421-70e5d6c3afa3', '74331551-9764-55dd-ba17-9b122f5f39df', 'rfc2833-pt', '101', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('8fe14ac5-cb60-55c0-ba5b-d7308d398335', '74331551-9764-55dd-ba17-9b122f5f39df', 'sip-port', '$${internal_sip_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('61c6e4ec-ccf8-58d6-afcd-ec180ea58eea', '74331551-9764-55dd-ba17-9b122f5f39df', 'dialplan', 'XML', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('29c964d1-3b6e-5e85-ad5d-26fcf94ece2f', '74331551-9764-55dd-ba17-9b122f5f39df', 'dtmf-duration', '2000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('1f2a49ce-2e93-561c-a757-2479284f8923', '74331551-9764-55dd-ba17-9b122f5f39df', 'inbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('1fdd4283-f763-5c55-ba36-3413f7320c4d', '74331551-9764-55dd-ba17-9b122f5f39df', 'outbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cac8e3cb-9826-51fd-a811-6db8135ec568', '74331551-9764-55dd-ba17-9b122f5f39df', 'use-rtp-timer', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('04d28308-eed5-5d7f-9100-6df7821d7c7b', '74331551-9764-55dd-ba17-9b122f5f39df', 'rtp-timer-name', 'soft', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('bd521bb5-6b1c-589b-8d27-f1fb53ce56a7', '74331551-9764-55dd-ba17-9b122f5f39df', 'rtp-ip', '$${local_ip_v6}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('62da07b1-420e-561b-8f90-09a86fc196de', '74331551-9764-55dd-ba17-9b122f5f39df', 'sip-ip', '$${local_ip_v6}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('0946853c-bf96-51c7-8ffd-9fea1747f86b', '74331551-9764-55dd-ba17-9b122f5f39df', 'hold-music', '$${hold_music}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('044f80c6-6731-501c-b2ee-59e6f8a02c1b', '74331551-9764-55dd-ba17-9b122f5f39df', 'apply-inbound-acl', 'domains', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('5db2d621-85e5-5de3-8cdb-6780382cbde5', '74331551-9764-55dd-ba17-9b122f5f39df', 'record-template', '${domain_name}/archive/${strftime(%Y)}/${strftime(%b)}/${strftime(%d)}/${uuid}.${record_ext}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('27986283-5ef8-591f-8434-8b38ef7b2deb', '74331551-9764-55dd-ba17-9b122f5f39df', 'manage-presence', 'true', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cfafa420-0d77-5d3d-b45d-d9ffadbc1485', '74331551-9764-55dd-ba17-9b122f5f39df', 'inbound-codec-negotiation', 'generous', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('08adba8c-493a-59c2-803c-cb3a21f3dde4', '74331551-9764-55dd-ba17-9b122f5f39df', 'nonce-ttl', '60', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('1c21fa53-2469-57c5-86f6-6bd53c2018c6', '74331551-9764-55dd-ba17-9b122f5f39df', 'auth-calls', '$${internal_auth_calls}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('c37d0106-97e0-5b18-8e85-ba49d9295f9b', '74331551-9764-55dd-ba17-9b122f5f39df', 'log-auth-failures', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('9a5ee6fe-4548-5358-b45d-f935f72cd075', '74331551-9764-55dd-ba17-9b122f5f39df', 'challenge-realm', 'auto_from', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('abd899d3-58d9-599d-a334-98ee5a266a1a', '06a312e8-f53e-56eb-a23d-019b0356c314', 'debug', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('9cdd529b-32a8-5aa8-b86d-6827443310ad', '06a312e8-f53e-56eb-a23d-019b0356c314', 'sip-trace', 'no', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('666be1f8-42a4-54f3-a222-bfdc5b909726', '06a312e8-f53e-56eb-a23d-019b0356c314', 'rfc2833-pt', '101', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('fc9854f8-b3ef-55fd-8010-096b6647f60f', '06a312e8-f53e-56eb-a23d-019b0356c314', 'sip-port', '$${external_sip_port}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('dd745468-c688-57fe-b443-e31630b2b198', '06a312e8-f53e-56eb-a23d-019b0356c314', 'dialplan', 'XML', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('93941337-5ba0-5fd7-99f0-98c0a093421a', '06a312e8-f53e-56eb-a23d-019b0356c314', 'context', 'public', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('5446e203-3e09-555a-b212-7f5cec612fa4', '06a312e8-f53e-56eb-a23d-019b0356c314', 'dtmf-duration', '2000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('3af5ba73-3f2d-5caa-aa9a-3141a8cab56e', '06a312e8-f53e-56eb-a23d-019b0356c314', 'inbound-codec-prefs', '$${global_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('198312a2-ed84-535b-ad0f-b75c31972616', '06a312e8-f53e-56eb-a23d-019b0356c314', 'outbound-codec-prefs', '$${outbound_codec_prefs}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cddfcc8d-c573-5712-9aba-8b4c59bd38b8', '06a312e8-f53e-56eb-a23d-019b0356c314', 'hold-music', '$${hold_music}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('8508d7c9-1f9d-5746-bc49-5d8dff8f804c', '06a312e8-f53e-56eb-a23d-019b0356c314', 'rtp-timer-name', 'soft', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('cf02a548-1e53-5f5b-9fc7-281b8f0638cb', '06a312e8-f53e-56eb-a23d-019b0356c314', 'manage-presence', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('3f26dcd9-5d38-5355-ac80-440a0b41cb5e', '06a312e8-f53e-56eb-a23d-019b0356c314', 'inbound-codec-negotiation', 'generous', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('42be12f3-2dd6-51e9-a1ab-83002f80e4a4', '06a312e8-f53e-56eb-a23d-019b0356c314', 'nonce-ttl', '60', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('bc6fb7d1-2cd4-5e6b-8737-399b2a9165dd', '06a312e8-f53e-56eb-a23d-019b0356c314', 'auth-calls', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('633db2a9-c38f-5adb-a23b-454a9873bb5f', '06a312e8-f53e-56eb-a23d-019b0356c314', 'rtp-ip', '$${local_ip_v6}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('589df493-04b4-5b3b-b646-ab0f818529be', '06a312e8-f53e-56eb-a23d-019b0356c314', 'sip-ip', '$${local_ip_v6}', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('55412a57-81c3-55bd-b60d-168292fe6d12', '06a312e8-f53e-56eb-a23d-019b0356c314', 'log-auth-failures', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL);

INSERT INTO v_sofia_global_settings (sofia_global_setting_uuid, global_setting_name, global_setting_value, global_setting_enabled, global_setting_description, insert_date, insert_user, update_date, update_user) VALUES
    ('6bce68b9-d5a1-5fcc-9130-f39d15543825', 'max-sessions', '1000', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('a5c9b796-5f42-54e5-b425-d2d75f6f0f85', 'session-per-second', '30', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('6595863a-4f6e-59a9-8467-1dee591340e7', 'log-level', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('c35d2099-6b49-5d45-b98f-3f78a9c247cc', 'debug-presence', '0', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('5ae379dd-cc46-5828-908d-04349f639dc1', 'auto-restart', 'false', 'true', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL),
    ('d9102011-b876-566b-855f-81c9a0364ad2', 'abort-on-empty-external-ip', 'false', 'false', NULL, '2024-05-14 09:21:07.512394+00', '14482429-9c19-5278-805d-d3d66d6b56be', NULL, NULL);

COMMIT;
