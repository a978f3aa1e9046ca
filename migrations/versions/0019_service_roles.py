"""One database role per service, with rights on its own schema only: `leadrelay_<service>` (NOLOGIN)
may read and write the tables and sequences of schema <service> and nothing else. A deployment gives
each service a login that is a member of its role (`CREATE ROLE route_svc LOGIN PASSWORD '…' IN ROLE
leadrelay_route`), while migrations keep running as the owner role. No service reads another's
schema: what it needs of another service arrives as an event. Future tables get the same grants
through default privileges. Roles are cluster-wide, so they are created only when missing, and only
when the migrating role may create roles (otherwise a notice says to create them by hand).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SERVICES = ("capture", "enrich", "score", "route", "notify", "insights", "outbound")


def upgrade() -> None:
    for service in SERVICES:
        role = f"leadrelay_{service}"
        op.execute(
            f"""
            DO $$
            BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                IF NOT (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                  RAISE NOTICE 'cannot create role {role}: create it, then run the migration again';
                  RETURN;
                END IF;
                CREATE ROLE {role} NOLOGIN;
              END IF;
              EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database());
              GRANT USAGE ON SCHEMA {service} TO {role};
              GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {service} TO {role};
              GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {service} TO {role};
              ALTER DEFAULT PRIVILEGES IN SCHEMA {service} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
              ALTER DEFAULT PRIVILEGES IN SCHEMA {service} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role};
            END $$;
            """
        )


def downgrade() -> None:
    for service in SERVICES:
        role = f"leadrelay_{service}"
        op.execute(
            f"""
            DO $$
            BEGIN
              IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                ALTER DEFAULT PRIVILEGES IN SCHEMA {service} REVOKE ALL ON TABLES FROM {role};
                ALTER DEFAULT PRIVILEGES IN SCHEMA {service} REVOKE ALL ON SEQUENCES FROM {role};
                REVOKE ALL ON ALL TABLES IN SCHEMA {service} FROM {role};
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA {service} FROM {role};
                REVOKE ALL ON SCHEMA {service} FROM {role};
              END IF;
            END $$;
            """
        )
