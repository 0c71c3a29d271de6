-- The four roles of a team, as PostgreSQL group roles (NOLOGIN); each member is a login role
-- in one of them. What a role may not do, PostgreSQL refuses, whatever client is used.
DO $$
DECLARE r TEXT;
BEGIN
    FOREACH r IN ARRAY ARRAY['timefence_viewer', 'timefence_editor', 'timefence_signer', 'timefence_owner']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO timefence_viewer;

-- viewer: reads everything (costs, forecasts and file checks are computed from reads).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO timefence_viewer;

-- editor: customers, licenses, products and prices, the trash they move to, usage reports.
GRANT timefence_viewer TO timefence_editor;
GRANT INSERT, UPDATE, DELETE ON customers, licenses, products, price_books, deleted_customers,
    deleted_licenses, usage_reports, deleted_usage_reports, settings TO timefence_editor;
GRANT USAGE ON SEQUENCE customers_id_seq, licenses_id_seq, products_id_seq, price_books_id_seq,
    usage_reports_id_seq TO timefence_editor;

-- signer: records issued files (a license's state and serial, the audit entry, the file being
-- written, relay certificates); keys stay on the signer's machine.
GRANT timefence_viewer TO timefence_signer;
GRANT UPDATE (state, serial, updated_at) ON licenses TO timefence_signer;
GRANT INSERT ON audit_log TO timefence_signer;
GRANT INSERT, UPDATE, DELETE ON files_being_issued TO timefence_signer;
GRANT INSERT, UPDATE ON relay_certificates TO timefence_signer;
GRANT USAGE ON SEQUENCE license_serials, audit_log_id_seq, relay_certificates_id_seq TO timefence_signer;

-- owner: everything the others may, and the key registry and the team's settings.
GRANT timefence_editor, timefence_signer TO timefence_owner;
GRANT INSERT, UPDATE, DELETE ON signing_keys, team_meta TO timefence_owner;
