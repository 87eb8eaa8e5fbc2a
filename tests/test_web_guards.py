"""One guard for every route: each endpoint of the real app is either in
``auth.PUBLIC`` or carries ``auth.require_role``, and answers an anonymous
caller 401. The walker is shown to catch a route added without a guard."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from chatbot.web import auth
from chatbot.web.app import create_app


def unguarded(app: Flask) -> list[str]:
    """The endpoints of ``app`` that are neither public nor given a role."""
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint not in auth.PUBLIC
                  and not getattr(app.view_functions[rule.endpoint], "required_role", None))


def _sample_url(app: Flask, rule) -> str:
    values = {arg: 1 if type(rule._converters[arg]).__name__ == "IntegerConverter" else "5585988880001"
              for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def test_every_route_is_public_or_needs_a_role(app):
    assert unguarded(app) == []


def test_every_public_name_is_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert auth.PUBLIC <= endpoints, "auth.PUBLIC names an endpoint that no longer exists"


def test_every_guarded_route_refuses_an_anonymous_caller(app):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in auth.PUBLIC:
            continue
        url = _sample_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method, data={"text": "oi"})
            assert resp.status_code == 401, (method, url, resp.status_code)
            checked += 1
    assert checked >= 25


def test_the_walk_catches_a_route_added_without_a_guard(cfg):
    bp = Blueprint("forgotten", __name__)

    @bp.get("/forgotten")
    def forgotten():
        return jsonify({"secret": "data"})

    @bp.get("/remembered")
    @auth.require_role("manager")
    def remembered():
        return jsonify({"ok": True})

    app = create_app(cfg)
    app.register_blueprint(bp)
    assert unguarded(app) == ["forgotten.forgotten"]
