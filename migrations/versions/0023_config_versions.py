"""Versioned routing configuration (issue 20): every published version of the routing part of the
business rules, append-only (a trigger refuses UPDATE and DELETE), with its author, message and the
diff against the version before it; and which version each running service instance applied last.

Versions belong to a namespace, the deployment's topic prefix, as `config.published` does (two
deployments sharing a database never see each other's versions). Schema `config` is the one every
service role may read (a service that cannot reach the `config.published` topic at start reads the
latest version here): SELECT on versions, and its own row in `applied`; only route (which
publishes) may add a version.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

SERVICES = ("capture", "enrich", "score", "route", "notify", "insights", "outbound")


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS config")
    op.execute(
        """
        CREATE TABLE config.versions (
            id bigserial PRIMARY KEY,
            namespace text NOT NULL,
            document jsonb NOT NULL,
            author text NOT NULL,
            message text NOT NULL,
            diff jsonb NOT NULL,
            restores bigint,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX versions_latest ON config.versions (namespace, id DESC)")
    op.execute(
        """
        CREATE FUNCTION config.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'config.versions is append-only: publish a new version instead';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER versions_append_only BEFORE UPDATE OR DELETE ON config.versions"
        " FOR EACH ROW EXECUTE FUNCTION config.append_only()"
    )
    op.execute(
        """
        CREATE TABLE config.applied (
            namespace text NOT NULL,
            service text NOT NULL,
            instance text NOT NULL,
            version bigint NOT NULL,
            seen_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (namespace, service, instance)
        )
        """
    )
    for service in SERVICES:
        role = f"leadrelay_{service}"
        extra = (
            f"GRANT INSERT ON config.versions TO {role}; GRANT USAGE ON SEQUENCE config.versions_id_seq TO {role};"
            if service == "route"
            else ""
        )
        op.execute(
            f"""
            DO $$
            BEGIN
              IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                GRANT USAGE ON SCHEMA config TO {role};
                GRANT SELECT ON config.versions TO {role};
                GRANT SELECT, INSERT, UPDATE ON config.applied TO {role};
                {extra}
              END IF;
            END $$;
            """
        )


def downgrade() -> None:
    op.execute("DROP SCHEMA config CASCADE")
