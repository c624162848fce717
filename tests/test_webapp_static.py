"""The web app's files without a browser (issue 18): how ``make run`` serves them (types, gzip,
nothing outside webapp/, the security headers), what the code may not do under its CSP (no
inline script or style, no other origin, no innerHTML or eval), every word in both languages,
and the prod template's bucket and distribution (private files, one origin with the API)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import cfn_webapp  # noqa: E402
import webapp_files  # noqa: E402

WEBAPP = ROOT / "webapp"
OWN_CODE = [path for path in WEBAPP.rglob("*.js")] + [WEBAPP / "index.html"]


def test_the_app_is_served_at_app_with_its_security_headers():
    status, headers, body = webapp_files.response("/app/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="./js/main.js"></script>' in body
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self';")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    status, headers, body = webapp_files.response("/app/js/main.js?v=1", "gzip, br")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body).startswith(b"//")
    assert webapp_files.response("/app")[:2] == (308, {"Location": "/app/",
                                                       **webapp_files.local_headers()})
    assert webapp_files.response("/v1/health") is None  # the API's


@pytest.mark.parametrize("path", ["/app/../app.py", "/app/%2e%2e/app.py", "/app/vendor/README.md",
                                  "/app/js", "/app/missing.js", "/app/../.chalice/config.json"])
def test_nothing_outside_the_apps_own_files_is_served(path):
    status, headers, body = webapp_files.response(path)
    assert status == 404 and body == b"Not found.\n"


def test_the_code_keeps_to_its_csp_and_its_origin():
    html = (WEBAPP / "index.html").read_text()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts == [(' type="module" src="./js/main.js"', "")]
    # The one stylesheet is inline, allowed by its hash (and nothing else inline): a changed
    # stylesheet changes the policy, in make run and in the template alike.
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}';" in webapp_files.content_security_policy("x")
    assert html.count("<style") == 1 and " style=" not in html
    preloaded = set(re.findall(r'<link rel="modulepreload" href="\./([^"]+)">', html))
    assert preloaded == _static_imports("js/main.js")  # one round trip for the sign-in page
    for path in OWN_CODE:
        text = path.read_text()
        assert not re.search(r"\binnerHTML\b|\bouterHTML\b|\beval\(|new Function|insertAdjacentHTML",
                             text), path
        assert not re.search(r"""setAttribute\(["']style|\son[a-z]+=""", text), path
        # The only absolute addresses: the SVG namespace, the deployment's official address, and
        # Stripe.js in the card field (loaded only where the stage's CSP allows Stripe).
        addresses = set(re.findall(r"https?://[^\s\"'`)]+", text)) - {
            "http://www.w3.org/2000/svg", "https://app.kinlink.example"}
        if path.name == "payment.js":
            addresses -= {webapp_files.STRIPE_SCRIPT_ORIGIN + "/v3/"}
        assert not addresses, (path, addresses)


def _static_imports(module: str) -> set[str]:
    """Every module ``module`` imports statically, transitively (what the browser must fetch
    before it runs), as paths under webapp/; ``import()`` (lazy) is not followed."""
    found: set[str] = set()
    pending = [module]
    while pending:
        current = WEBAPP / pending.pop()
        for target in re.findall(r'^import\s[^;]*?\sfrom\s"([^"]+)";', current.read_text(), re.M | re.S):
            path = str((current.parent / target).resolve().relative_to(WEBAPP.resolve()))
            if path not in found:
                found.add(path)
                pending.append(path)
    return found


def _words() -> dict[str, set[str]]:
    keys = re.compile(r"\b([a-z0-9_]+): [\"`]")
    return {language: set(keys.findall((WEBAPP / "js" / "words" / f"{language}.js").read_text()))
            for language in ("en", "es")}


def test_every_word_exists_in_english_and_spanish_and_every_key_used_exists():
    words = _words()
    assert len(words["en"]) > 250
    assert words["en"] == words["es"]
    used = set()
    for path in (WEBAPP / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\(\"([a-z0-9_]+)\"[,)]", path.read_text()))
    assert used - words["en"] == set()


def test_the_template_serves_the_files_privately_and_the_api_on_the_same_domain():
    routes = {"/v1/health": {}, "/v1/contacts/{contact_id}": {}, "/reset-password": {},
              "/docs/swagger-ui.css": {}}
    resources = cfn_webapp.resources(routes)
    bucket = resources["AppBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [reads, https_only] = resources["AppBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reads["Action"] == "s3:GetObject"
    assert "${AppDistribution}" in reads["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert https_only["Effect"] == "Deny"
    config = resources["AppDistribution"]["Properties"]["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == cfn_webapp.FILES_ORIGIN
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    headers = resources["AppHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"] == {
        "Fn::Sub": webapp_files.content_security_policy(
            "https://${MediaBucket}.s3.${AWS::Region}.amazonaws.com", chime=True)}
    api = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(api) == {"/stage.json", "/v1", "/v1/*", "/reset-password", "/reset-password/*",
                        "/docs", "/docs/*"}
    assert api.pop("/stage.json")["FunctionAssociations"][0]["FunctionARN"] == {
        "Fn::GetAtt": ["AppStageFunction", "FunctionARN"]}
    for behaviour in api.values():
        assert behaviour["TargetOriginId"] == cfn_webapp.API_ORIGIN
        assert behaviour["CachePolicyId"] == cfn_webapp.CACHING_DISABLED
        assert {"POST", "PATCH", "DELETE"} <= set(behaviour["AllowedMethods"])
    [origin] = [o for o in config["Origins"] if o["Id"] == cfn_webapp.API_ORIGIN]
    assert origin["OriginPath"] == "/api"


def test_the_merged_template_has_the_web_app_beside_every_api_path():
    import cfn_resources

    template = cfn_resources.build_template()
    from app import app

    behaviours = template["Resources"]["AppDistribution"]["Properties"]["DistributionConfig"][
        "CacheBehaviors"]
    patterns = {b["PathPattern"] for b in behaviours}
    for path in app.routes:
        top = "/" + path.strip("/").split("/")[0]
        assert top in patterns and top + "/*" in patterns, path
    assert {"AppDomainName", "AppCertificateArn"} <= set(template["Parameters"])
    assert template["Outputs"]["AppBucketName"]["Value"] == {"Ref": "AppBucket"}
    assert "ApiDomain" in template["Resources"]  # the others are all still there
