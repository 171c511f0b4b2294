"""Real STI certificates and PASSporTs for tests, made on the spot with no network.

``trustme`` for STIR/SHAKEN::

    from shakentrace.testing import StiCA

    ca = StiCA(seed=1)                     # root + intermediate, ATIS-1000080 shaped
    cert = ca.issue_cert(spc="1234")       # STI certificate with an RFC 8226 TNAuthList
    identity = cert.identity_header(orig="12155551212", dest="12155551213", attest="A")
    # serve cert.chain_pem at cert.x5u; trust ca.trust_pem

This package is not imported by ``shakentrace`` itself.
"""

from __future__ import annotations

from shakentrace.fetch import StaticFetcher
from shakentrace.testing._asn1 import encode_tn_auth_list
from shakentrace.testing._blob import Blob
from shakentrace.testing._ca import StiCA
from shakentrace.testing._cert import StiCert
from shakentrace.testing._invite import build_invite, forward_invite
from shakentrace.testing._jws import canonical_json, encode_jws, format_identity, split_token
from shakentrace.testing._mutators import (
    MUTATIONS,
    Mutation,
    alg_hs256,
    alg_none,
    der_signature,
    embedded_jwk,
    noncanonical_json,
    pad_base64,
    resign,
    sign_with_wrong_key,
    tamper_claim,
)
from shakentrace.testing._network import (
    SCENARIO_KINDS,
    NetworkGenerator,
    NetworkHop,
    Scenario,
)
from shakentrace.testing._profile import DEVIATIONS, SHAKEN_CP_OID, Deviation
from shakentrace.testing._server import CertServer, Route, cert_server, standard_routes
from shakentrace.testing._truth import HopTruth, NetworkProvider, PathTruth

__all__ = [
    "DEVIATIONS",
    "MUTATIONS",
    "SCENARIO_KINDS",
    "SHAKEN_CP_OID",
    "Blob",
    "CertServer",
    "Deviation",
    "HopTruth",
    "Mutation",
    "NetworkGenerator",
    "NetworkHop",
    "NetworkProvider",
    "PathTruth",
    "Route",
    "Scenario",
    "StaticFetcher",
    "StiCA",
    "StiCert",
    "alg_hs256",
    "alg_none",
    "build_invite",
    "canonical_json",
    "cert_server",
    "der_signature",
    "embedded_jwk",
    "encode_jws",
    "encode_tn_auth_list",
    "format_identity",
    "forward_invite",
    "noncanonical_json",
    "pad_base64",
    "resign",
    "sign_with_wrong_key",
    "split_token",
    "standard_routes",
    "tamper_claim",
]
