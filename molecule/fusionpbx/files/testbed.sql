-- What the FusionPBX test bed adds to the database the installer left, as an operator would in
-- FusionPBX's web interface. Run with psql -v ON_ERROR_STOP=1 as postgres; idempotent.

-- Extensions 1000-1003 in the installer's domain (Accounts > Extensions), passwords secret-<extension>.
INSERT INTO v_extensions (extension_uuid, domain_uuid, extension, password, user_context, enabled, call_timeout,
                          directory_visible, directory_exten_visible, limit_max, insert_date)
SELECT gen_random_uuid(), d.domain_uuid, e.extension, 'secret-' || e.extension, d.domain_name, true, 30, true, true, '5', now()
FROM v_domains d CROSS JOIN (VALUES ('1000'), ('1001'), ('1002'), ('1003')) AS e(extension)
WHERE d.domain_name = 'pbx.example.com'
  AND NOT EXISTS (SELECT 1 FROM v_extensions x WHERE x.domain_uuid = d.domain_uuid AND x.extension = e.extension);

-- Provisioning on (Advanced > Default Settings: provision/enabled, shipped disabled) with a
-- provisioning password (provision/password: not shipped, FusionPBX's documented way to protect the
-- files), and one phone (Accounts > Devices) so a known MAC gets past the device check.
UPDATE v_default_settings SET default_setting_value = 'true', default_setting_enabled = true
WHERE default_setting_category = 'provision' AND default_setting_subcategory = 'enabled';

INSERT INTO v_default_settings (default_setting_uuid, default_setting_category, default_setting_subcategory,
                                default_setting_name, default_setting_value, default_setting_enabled,
                                default_setting_description, insert_date)
SELECT gen_random_uuid(), 'provision', 'password', 'text', 'prov-secret', true, 'voipguard test bed', now()
WHERE NOT EXISTS (SELECT 1 FROM v_default_settings
                  WHERE default_setting_category = 'provision' AND default_setting_subcategory = 'password');

INSERT INTO v_devices (device_uuid, domain_uuid, device_address, device_label, device_vendor, device_enabled,
                       device_template, insert_date)
SELECT gen_random_uuid(), d.domain_uuid, '001565000001', 'test phone', 'yealink', true, 'yealink/t4x', now()
FROM v_domains d
WHERE d.domain_name = 'pbx.example.com'
  AND NOT EXISTS (SELECT 1 FROM v_devices WHERE device_address = '001565000001');
