// The errors of the NATS bus, in one place: peerwatch's own (what failed, the client's error as
// `cause`) and the one reading of the client's errors. nats.js throws classes (`@nats-io/nats-core`:
// AuthorizationError, PermissionViolationError, NoRespondersError, …; `@nats-io/jetstream`:
// JetStreamApiError with the server's error code) and wraps them: a request's RequestError holds
// the NoRespondersError or PermissionViolationError as `cause`, a JetStream publish with no stream
// is a JetStreamNotEnabled around that RequestError, a TLS failure is Node's error with its `code`.
// `natsErrorKind` walks that chain once and names the case, so no caller reads message text.
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";

/** The NATS connection or stream could not be set up: what, and the client's reason as cause. */
export class NatsBusError extends Error {
  override name = "NatsBusError";
}

/** NATS settings or files that cannot be used; never carries a secret's value. */
export class NatsConfigError extends Error {
  override name = "NatsConfigError";
}

/** The stream range could not be read: which stream on which server, the client's reason as cause. */
export class StreamRangeError extends Error {
  override name = "StreamRangeError";
}

export type NatsErrorKind =
  /** The server refused the credentials (or they expired): waiting will not help. */
  | "refused"
  /** TLS could not be set up: certificate, CA, handshake, or a server without TLS. */
  | "tls"
  /** A client option the server cannot serve (the client's InvalidArgumentError). */
  | "invalid-option"
  /** The user's permissions do not allow this publish or subscription. */
  | "permission"
  /** Nobody answers the subject: no stream stores it, or the account has no JetStream. */
  | "no-responders"
  | "stream-not-found"
  | "consumer-not-found"
  /** A stream of that name exists already (with another configuration). */
  | "stream-name-in-use"
  /** Another error JetStream's API answered with (its code is on the JetStreamApiError). */
  | "jetstream-api"
  | "timeout"
  /** The connection is closed or draining. */
  | "closed"
  /** The server could not be reached (refused, reset, no route, name not found): try again later. */
  | "unreachable"
  | "other";

/** JetStream's "stream name already in use" (the server's JSStreamNameExistErr); the client names no constant for it. */
export const STREAM_NAME_IN_USE = 10058;

/**
 * The one case the client marks only by text: asked for TLS, the server offers none (a
 * ConnectionError from the client's option check, with no cause). Compared whole, not searched.
 */
const SERVER_WITHOUT_TLS = "server does not support 'tls'";

/** Node's TLS failures: its own codes and OpenSSL's certificate verification codes. */
const X509_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
]);

/** Node's socket errors of a server that is down or not reachable from here. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/** How deep a cause chain is followed (the client nests two or three). */
const MAX_DEPTH = 8;

/** The error and its causes, outermost first. */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let x = e; x !== undefined && x !== null && out.length < MAX_DEPTH; x = (x as { cause?: unknown }).cause) {
    out.push(x);
    if (!(x instanceof Error)) break;
  }
  return out;
}

function isTlsFailure(x: unknown): boolean {
  if (x instanceof errors.ConnectionError && x.cause === undefined && x.message === SERVER_WITHOUT_TLS) return true;
  const code = (x as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && (code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || X509_CODES.has(code));
}

/** What a client error means, from its class (and JetStream's code) anywhere in its cause chain. */
export function natsErrorKind(e: unknown): NatsErrorKind {
  const all = chain(e);
  const find = <T>(cls: abstract new (...args: never[]) => T): T | undefined => all.find((x): x is T => x instanceof cls);
  const api = find(JetStreamApiError);
  if (api) {
    if (api.code === JetStreamApiCodes.StreamNotFound) return "stream-not-found";
    if (api.code === JetStreamApiCodes.ConsumerNotFound) return "consumer-not-found";
    if (api.code === STREAM_NAME_IN_USE) return "stream-name-in-use";
    return "jetstream-api";
  }
  if (find(errors.AuthorizationError) || find(errors.UserAuthenticationExpiredError)) return "refused";
  if (find(errors.PermissionViolationError)) return "permission";
  if (find(errors.NoRespondersError)) return "no-responders";
  if (all.some(isTlsFailure)) return "tls";
  if (find(errors.InvalidArgumentError)) return "invalid-option";
  if (find(errors.TimeoutError)) return "timeout";
  if (find(errors.ClosedConnectionError) || find(errors.DrainingConnectionError)) return "closed";
  if (find(errors.ConnectionError) || all.some((x) => NETWORK_CODES.has((x as { code?: string }).code ?? ""))) return "unreachable";
  return "other";
}

/** Kinds a first connection gives up on at once: the server or the set-up refuses us, and waiting cannot fix that. */
const REFUSALS: ReadonlySet<NatsErrorKind> = new Set(["refused", "tls", "invalid-option", "permission"]);

/** True when connecting failed for good (credentials, permissions, TLS, options), not for now. */
export function isRefusal(e: unknown): boolean {
  return REFUSALS.has(natsErrorKind(e));
}
