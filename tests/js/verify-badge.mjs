// Verifies an Open Badges 3.0 credential (a VC-JWT) read on stdin as a verifier would, with
// code that is not the portal's: did-jwt-vc checks the signature against the key the issuer's
// did:web DID document publishes, this script checks the Open Badges shape and the JWT claims,
// then fetches the status list the credential names, verifies its signature the same way,
// gunzips its bitstring and reads the credential's bit.
//
// Prints one JSON object: {"result": "VALID" | "REVOKED" | "INVALID", "reason", "issuer",
// "kid", "statusListIndex", "achievement"}. A credential that fails any check is INVALID, with
// the reason; the script itself exits non-zero only if it could not run.
import { verifyCredential } from "did-jwt-vc";
import { Resolver } from "did-resolver";
import { gunzipSync } from "node:zlib";

const VC_CONTEXT = "https://www.w3.org/ns/credentials/v2";
const OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

// did:web resolves did:web:<host>[%3A<port>] to https://<host>[:<port>]/.well-known/did.json.
// The portal under test listens on loopback over plain HTTP, which web-did-resolver (https
// only) cannot reach, so this small resolver maps a loopback did:web to http; every other
// did:web is resolved over https as the method says.
async function resolveWeb(did, parsed) {
  const host = decodeURIComponent(parsed.id.split(":")[0]);
  const scheme = LOOPBACK.has(host.replace(/:\d+$/, "")) ? "http" : "https";
  const response = await fetch(`${scheme}://${host}/.well-known/did.json`);
  if (!response.ok) {
    return { didDocument: null, didDocumentMetadata: {},
             didResolutionMetadata: { error: "notFound", message: `HTTP ${response.status}` } };
  }
  const didDocument = await response.json();
  if (didDocument.id !== did) {
    return { didDocument: null, didDocumentMetadata: {},
             didResolutionMetadata: { error: "invalidDid", message: "document of another DID" } };
  }
  return { didDocument, didDocumentMetadata: {},
           didResolutionMetadata: { contentType: "application/did+json" } };
}

const resolver = new Resolver({ web: resolveWeb });

class Invalid extends Error {}

function check(condition, reason) {
  if (!condition) throw new Invalid(reason);
}

function types(value) {
  return Array.isArray(value) ? value : [value];
}

// did-jwt-vc checks the signature (with the issuer's published keys) and nbf; its own shape
// rules are those of the VC Data Model 1.1, so the 2.0 shape is checked here instead.
async function verifiedJwt(jwt) {
  let verified;
  try {
    verified = await verifyCredential(jwt, resolver, { policies: { format: false } });
  } catch (error) {
    throw new Invalid(`signature: ${error.message}`);
  }
  const kid = verified.signer.id;
  const document = verified.didResolutionResult.didDocument;
  check(JSON.parse(Buffer.from(jwt.split(".")[0], "base64url")).kid === kid,
        "the header's kid is not the key that verified");
  check((document.assertionMethod || []).includes(kid), "the key may not assert credentials");
  return { payload: verified.payload, kid };
}

function checkOpenBadge(credential) {
  const context = credential["@context"] || [];
  check(context[0] === VC_CONTEXT && context.includes(OB_CONTEXT), "@context");
  check(types(credential.type).includes("VerifiableCredential")
        && types(credential.type).includes("OpenBadgeCredential"), "type");
  const issuer = typeof credential.issuer === "string" ? credential.issuer : credential.issuer?.id;
  check(credential.iss === issuer, "iss is not issuer.id");
  check(credential.jti === credential.id, "jti is not id");
  check(credential.sub === credential.credentialSubject?.id, "sub is not credentialSubject.id");
  check(credential.nbf === Date.parse(credential.validFrom) / 1000, "nbf is not validFrom");
  const subject = credential.credentialSubject;
  check(types(subject.type).includes("AchievementSubject"), "credentialSubject.type");
  const achievement = subject.achievement || {};
  check(types(achievement.type).includes("Achievement") && achievement.name
        && achievement.criteria?.narrative, "achievement");
  return achievement.name;
}

async function statusBit(credential) {
  const entry = credential.credentialStatus;
  check(entry?.type === "BitstringStatusListEntry", "credentialStatus.type");
  check(entry.statusPurpose === "revocation", "credentialStatus.statusPurpose");
  const index = Number(entry.statusListIndex);
  check(/^\d+$/.test(entry.statusListIndex) && Number.isSafeInteger(index), "statusListIndex");
  const response = await fetch(entry.statusListCredential);
  check(response.ok, `status list: HTTP ${response.status}`);
  const { payload: list } = await verifiedJwt((await response.text()).trim());
  check(types(list.type).includes("BitstringStatusListCredential"), "status list type");
  check(list.id === entry.statusListCredential, "status list id");
  check(list.iss === credential.iss, "status list of another issuer");
  const subject = list.credentialSubject;
  check(subject.type === "BitstringStatusList", "status list subject type");
  check(types(subject.statusPurpose).includes(entry.statusPurpose), "status list purpose");
  check(subject.encodedList?.startsWith("u"), "encodedList is not multibase base64url");
  const bits = gunzipSync(Buffer.from(subject.encodedList.slice(1), "base64url"));
  check(bits.length >= 16384, "status list shorter than 131,072 bits");
  check(index < bits.length * 8, "statusListIndex outside the list");
  return { index, bit: (bits[index >> 3] >> (7 - (index % 8))) & 1 };
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const jwt = Buffer.concat(chunks).toString("utf-8").trim();
let report;
try {
  const { payload, kid } = await verifiedJwt(jwt);
  const achievement = checkOpenBadge(payload);
  const { index, bit } = await statusBit(payload);
  report = { result: bit ? "REVOKED" : "VALID", reason: null, issuer: payload.iss, kid,
             statusListIndex: index, achievement };
} catch (error) {
  if (!(error instanceof Invalid)) throw error;
  report = { result: "INVALID", reason: error.message };
}
process.stdout.write(JSON.stringify(report));
