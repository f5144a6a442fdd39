"""The service around the routes: health, readiness, OpenAPI and its docs, migrations."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask.testing import FlaskClient
from sqlalchemy import inspect

from api.tickets.models import Base
from common.db import Database

ROUTES = {
    ("/api/tickets", "get"),
    ("/api/tickets", "post"),
    ("/api/tickets/mine", "get"),
    ("/api/tickets/{ticket_id}", "get"),
    ("/api/tickets/{ticket_id}", "put"),
    # Operators only (api/ops): the tickets consumer's dead letters and the backlog.
    ("/api/tickets/ops/dead-letters", "get"),
    ("/api/tickets/ops/dead-letters/{letter_id}/replay", "post"),
    ("/api/tickets/ops/dead-letters/{letter_id}/discard", "post"),
    ("/api/tickets/ops/backlog", "get"),
}


def test_readiness_checks_the_database_and_nats(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "nats": "ok"}
    assert client.get("/healthz").status_code == 200


def test_the_openapi_document_lists_every_route(client: FlaskClient) -> None:
    spec = client.get("/api/tickets/openapi.json").json
    found = {
        (path, method)
        for path, ops in spec["paths"].items()
        for method in ops
        if method != "parameters"
    }
    assert found == ROUTES


def test_every_documented_route_names_its_errors_and_the_writes_their_security(
    client: FlaskClient,
) -> None:
    paths = client.get("/api/tickets/openapi.json").json["paths"]
    assert {"422"} <= set(paths["/api/tickets"]["get"]["responses"])
    assert {"201", "401", "422"} <= set(paths["/api/tickets"]["post"]["responses"])
    assert {"200", "401", "403", "404", "409", "422"} <= set(
        paths["/api/tickets/{ticket_id}"]["put"]["responses"]
    )
    assert {"404", "422"} <= set(paths["/api/tickets/{ticket_id}"]["get"]["responses"])
    for path, method in (
        ("/api/tickets", "post"),
        ("/api/tickets/mine", "get"),
        ("/api/tickets/{ticket_id}", "put"),
    ):
        assert paths[path][method]["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert "security" not in paths["/api/tickets"]["get"]
    conflict = paths["/api/tickets/{ticket_id}"]["put"]["responses"]["409"]
    assert "application/problem+json" in conflict["content"]


def test_the_openapi_document_describes_the_ticket_and_the_price(client: FlaskClient) -> None:
    schemas = client.get("/api/tickets/openapi.json").json["components"]["schemas"]
    assert schemas["TicketInput"]["properties"]["price"]["type"] == ["string", "number"]
    assert schemas["TicketInput"]["additionalProperties"] is False
    assert schemas["Ticket"]["properties"]["status"] == {
        "$ref": "#/components/schemas/TicketStatus"
    }
    assert set(schemas["TicketStatus"]["enum"]) == {"available", "locked", "sold"}
    assert "nextCursor" in schemas["TicketPage"]["properties"]


def test_swagger_ui_is_served_from_the_service(client: FlaskClient) -> None:
    response = client.get("/api/tickets/docs")
    assert response.status_code == 200
    assert b"/api/tickets/docs/assets/" in response.data


def test_an_unknown_route_is_a_problem(client: FlaskClient) -> None:
    response = client.get("/api/tickets/mine/extra")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.delete("/api/tickets").status_code == 405


def test_the_migration_creates_the_list_indexes_and_the_backbone_tables(db: Database) -> None:
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names())
    assert {
        "tickets",
        "closed_orders",
        "outbox_events",
        "processed_events",
        "dead_letters",
    } <= tables
    indexes = {index["name"] for index in inspector.get_indexes("tickets")}
    assert {"ix_tickets_available_newest", "ix_tickets_seller_newest"} <= indexes


def test_the_migration_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_a_dropped_database_connection_is_a_503_then_the_next_request_reconnects(
    client: FlaskClient, db: Database
) -> None:
    assert client.get("/api/tickets").status_code == 200
    admin = sa.create_engine(db.engine.url, poolclass=sa.NullPool)
    with admin.connect() as connection:  # what a database restart does to pooled connections
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    response = client.get("/api/tickets")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    assert "try again" in response.json["detail"]
    assert client.get("/api/tickets").status_code == 200
