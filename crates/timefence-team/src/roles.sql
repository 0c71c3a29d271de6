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

-- Members create nothing: no tables or functions in the schema, no temporary tables (a
-- temporary table with a trigger of its own is how a member would reach the audit function),
-- and only the team's roles connect.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY, CONNECT ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO timefence_viewer', current_database());
END $$;
GRANT USAGE ON SCHEMA public TO timefence_viewer;

-- viewer: reads everything (costs, forecasts and file checks are computed from reads).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO timefence_viewer;

-- editor: customers, licenses, products and prices, the trash they move to, usage reports.
GRANT timefence_viewer TO timefence_editor;
GRANT INSERT, UPDATE, DELETE ON customers, licenses, products, price_books, deleted_customers,
    deleted_licenses, usage_reports, deleted_usage_reports TO timefence_editor;
GRANT USAGE ON SEQUENCE customers_id_seq, licenses_id_seq, products_id_seq, price_books_id_seq,
    usage_reports_id_seq TO timefence_editor;

-- signer: records issued files (a license's state and serial, the audit entry, the file being
-- written, relay certificates); keys stay on the signer's machine.
GRANT timefence_viewer TO timefence_signer;
GRANT UPDATE (state, serial, updated_at) ON licenses TO timefence_signer;
GRANT INSERT ON audit_log TO timefence_signer;
GRANT INSERT, UPDATE, DELETE ON files_being_issued TO timefence_signer;
GRANT INSERT, UPDATE ON relay_certificates TO timefence_signer;
-- The last serial handed out (settings.last_serial), which only grows.
GRANT INSERT, UPDATE ON settings TO timefence_signer;
GRANT USAGE ON SEQUENCE license_serials, audit_log_id_seq, relay_certificates_id_seq TO timefence_signer;

-- owner: everything the others may, the key registry, and members (through the two
-- functions below, never by creating roles themselves: CREATEROLE would let them grant
-- themselves any role of the server).
GRANT timefence_editor, timefence_signer TO timefence_owner;
GRANT INSERT, UPDATE, DELETE ON signing_keys TO timefence_owner;

-- Adds a member: a login role in one group, its password a SCRAM verifier made by the client.
-- Runs as the catalogue's owner; checks everything it is given.
CREATE FUNCTION team_add_member(name TEXT, verifier TEXT, role TEXT) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF name !~ '^[a-z][a-z0-9_]{0,62}$' OR name ~ '^(timefence_|pg_)' THEN
        RAISE EXCEPTION 'member name %', name USING ERRCODE = '22023';
    END IF;
    IF role NOT IN ('viewer', 'editor', 'signer', 'owner') THEN
        RAISE EXCEPTION 'role %', role USING ERRCODE = '22023';
    END IF;
    IF verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'not a SCRAM-SHA-256 verifier' USING ERRCODE = '22023';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L IN ROLE %I',
                   name, verifier, 'timefence_' || role);
END $$;

-- Gives a member another role. Only a member of a team group is touched: not the server's
-- other roles, not a superuser.
CREATE FUNCTION team_set_role(name TEXT, role TEXT) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE g TEXT;
BEGIN
    IF role NOT IN ('viewer', 'editor', 'signer', 'owner') THEN
        RAISE EXCEPTION 'role %', role USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_roles m JOIN pg_auth_members a ON a.member = m.oid
        JOIN pg_roles t ON t.oid = a.roleid
        WHERE m.rolname = name AND m.rolcanlogin AND NOT m.rolsuper
          AND t.rolname IN ('timefence_viewer', 'timefence_editor', 'timefence_signer', 'timefence_owner'))
    THEN
        RAISE EXCEPTION 'no member named %', name USING ERRCODE = '42704';
    END IF;
    FOREACH g IN ARRAY ARRAY['timefence_viewer', 'timefence_editor', 'timefence_signer', 'timefence_owner']
    LOOP
        EXECUTE format('REVOKE %I FROM %I', g, name);
    END LOOP;
    EXECUTE format('GRANT %I TO %I', 'timefence_' || role, name);
END $$;

REVOKE ALL ON FUNCTION team_add_member(TEXT, TEXT, TEXT), team_set_role(TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_add_member(TEXT, TEXT, TEXT), team_set_role(TEXT, TEXT)
    TO timefence_owner;
