"""OpenID Connect sign-in (issue 15, point 2): the identity provider identifies, the local
account table authorises. No real provider: the claims are what ``st.user`` would hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import pytest
from streamlit.testing.v1 import AppTest

from mapgov import cli
from mapgov.core.errors import SignInError, ValidationError
from mapgov.core.i18n import error_text, t
from mapgov.core.model import AuditKind
from mapgov.domain import accounts, oidc
from mapgov.store import Store

NOW: Final = dt.datetime(2026, 11, 16, 9, 0)
ISSUER: Final = "https://id.example.gov.cn"
STAFF: Final = "S001-C1-staff1"
EMAIL: Final = "sun.rong@xigong.example.gov.cn"


def _claims(sub: str = "u-1001", email: str | None = EMAIL, **more: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "iss": ISSUER, "sub": sub, "email": email, **more}


def _log(store: Store, kind: AuditKind) -> list[tuple[str, str]]:
    log = accounts.read_audit(store)
    rows = log[log["kind"] == kind]
    return list(zip(rows["subject"], rows["detail"].fillna(""), strict=True))


def test_identity_of_reads_the_claims() -> None:
    assert oidc.identity_of({"is_logged_in": False}) is None
    assert oidc.identity_of({}) is None
    assert oidc.identity_of({"is_logged_in": True}) is None  # no subject
    who = oidc.identity_of(_claims(email=" Sun.Rong@Xigong.example.gov.cn ", name="孙荣"))
    assert who == oidc.Identity(f"{ISSUER} u-1001", EMAIL, "孙荣")
    assert oidc.identity_of(_claims(email_verified=False)).email is None  # type: ignore[union-attr]
    assert oidc.identity_of({"is_logged_in": True, "sub": "x"}).subject == "x"  # type: ignore[union-attr]


def test_an_identity_opens_its_local_account_and_binds_to_it(work_store: Store) -> None:
    oidc.set_email(work_store, STAFF, EMAIL.upper(), now=NOW, actor="t")
    token = oidc.sign_in(work_store, _claims(), now=NOW, source="web 10.0.0.8")
    account = accounts.session_account(work_store, token, now=NOW)
    assert account is not None and account.login == STAFF  # its role and scope apply
    assert (account.community_id, account.role.value) == ("S001-C1", "staff")
    stored = work_store.read("app_user", where={"login": STAFF}).iloc[0]
    assert stored["oidc_subject"] == f"{ISSUER} u-1001"
    assert (STAFF, f"openid connect {ISSUER} u-1001") in _log(work_store, AuditKind.SIGN_IN)
    assert (STAFF, f"oidc_subject={ISSUER} u-1001") in _log(work_store, AuditKind.ACCOUNT_CHANGED)
    # later: the subject finds it, whatever the e-mail says now
    again = oidc.sign_in(work_store, _claims(email="new@example.org"), now=NOW, source="web")
    assert accounts.session_account(work_store, again, now=NOW).login == STAFF  # type: ignore[union-attr]
    # another identity with the bound account's e-mail is refused
    with pytest.raises(SignInError) as refused:
        oidc.sign_in(work_store, _claims(sub="u-9999"), now=NOW, source="web")
    assert refused.value.key == "error.account.oidc_no_account"
    accounts.sign_out(work_store, token, now=NOW)
    assert accounts.session_account(work_store, token, now=NOW) is None


@pytest.mark.parametrize(
    "case", ["unknown e-mail", "unverified e-mail", "no e-mail", "disabled", "wall screen"]
)
def test_an_identity_without_an_enabled_local_account_is_refused(
    work_store: Store, case: str
) -> None:
    claims = _claims()
    if case == "unverified e-mail":
        oidc.set_email(work_store, STAFF, EMAIL, now=NOW, actor="t")
        claims["email_verified"] = False
    elif case == "no e-mail":
        claims["email"] = None
    elif case == "disabled":
        oidc.set_email(work_store, STAFF, EMAIL, now=NOW, actor="t")
        accounts.disable(work_store, STAFF, now=NOW, actor="t")
    elif case == "wall screen":
        accounts.add_account(
            work_store, "wall.x", role="display", street_id="S001", now=NOW, actor="t"
        )
        oidc.set_email(work_store, "wall.x", EMAIL, now=NOW, actor="t")
    sessions = work_store.counts()["auth_session"]
    with pytest.raises(SignInError) as refused:
        oidc.sign_in(work_store, claims, now=NOW, source="web")
    assert work_store.counts()["auth_session"] == sessions
    message = error_text(refused.value, "zh")
    assert message == t("error.account.oidc_no_account", "zh")
    assert "街道办" in message and "mapgov" not in message
    failed = _log(work_store, AuditKind.SIGN_IN_FAILED)
    assert failed and f"openid connect {ISSUER} u-1001" in failed[-1][1]


def test_set_email_checks_the_address(work_store: Store) -> None:
    with pytest.raises(ValidationError) as bad:
        oidc.set_email(work_store, STAFF, "not-an-address", now=NOW, actor="t")
    assert bad.value.key == "error.account.bad_email"
    oidc.set_email(work_store, STAFF, EMAIL, now=NOW, actor="t")
    with pytest.raises(ValidationError) as taken:
        oidc.set_email(work_store, "S001-C2-staff1", EMAIL, now=NOW, actor="t")
    assert taken.value.key == "error.account.email_taken"
    oidc.sign_in(work_store, _claims(), now=NOW, source="web")
    oidc.set_email(work_store, STAFF, "sun@example.org", now=NOW, actor="t")  # unbinds
    stored = work_store.read("app_user", where={"login": STAFF}).iloc[0]
    assert (stored["email"], stored["oidc_subject"]) == ("sun@example.org", None)


def test_cli_user_email(work_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(work_store.path)
    assert cli.main(["user", "email", STAFF, EMAIL, "--db", db]) == 0
    assert f"{STAFF}: e-mail {EMAIL}" in capsys.readouterr().out
    assert work_store.read("app_user", where={"login": STAFF})["email"].iloc[0] == EMAIL
    assert cli.main(["user", "email", STAFF, "--db", db]) == 0
    assert work_store.read("app_user", where={"login": STAFF})["email"].isna().all()


# -- the sign-in page with a provider configured (AppTest seeds st.user and the secrets) -------
AUTH: Final = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-only-for-the-test",
    "client_id": "mapgov",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}


def _app(user: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = user
    at.query_params["lang"] = "zh"
    return at.run()


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_the_sign_in_page_offers_the_provider_beside_local_accounts(app_db: Store) -> None:
    at = _app({"is_logged_in": False})
    assert not at.exception
    assert t("auth.oidc_submit") in _buttons(at)
    assert at.title[0].value == t("auth.title")
    assert [i.label for i in at.text_input][:2] == [t("auth.login"), t("auth.password")]


def test_a_provider_identity_signs_in_to_its_account_or_is_refused(app_db: Store) -> None:
    oidc.set_email(app_db, STAFF, EMAIL, now=NOW, actor="t")
    at = _app(_claims())
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value != t("auth.title")  # past the sign-in form
    staff = accounts.get_account(app_db, STAFF)
    assert any(staff.name in m.value for m in at.sidebar.markdown)
    assert (STAFF, f"openid connect {ISSUER} u-1001") in _log(app_db, AuditKind.SIGN_IN)
    stranger = _app(_claims(sub="u-2002", email="stranger@example.org"))
    assert stranger.title[0].value == t("auth.title")
    assert [e.value for e in stranger.error] == [t("error.account.oidc_no_account")]
    assert t("auth.oidc_sign_out") in _buttons(stranger)
