import { createHash, createHmac } from 'node:crypto';

/** What the HMAC scheme signs (reference §5.2). Client and simulator both use this. */
export interface HmacSignatureInput {
  customerSecret: string;
  /** The Host header exactly as sent: `new URL(baseUrl).host`, incl. `:port` when not default. */
  host: string;
  /** An HTTP date, e.g. `new Date().toUTCString()`; sent as the `Date` header. */
  date: string;
  /** Upper-case HTTP method. */
  method: string;
  /** Path plus query string exactly as sent on the request line, e.g. `/na/v1/...?channel=a`. */
  pathWithQuery: string;
  /** Exact request body bytes; `''` when there is none (GET, DELETE). */
  body: string | Uint8Array;
}

export interface HmacSignature {
  /** `SHA-256=<base64>`; sent as the `Digest` header. */
  digest: string;
  /** base64(HMAC-SHA256(secret, signing string)). */
  signature: string;
}

/** Agora's HMAC recipe (reference §5.2): signs host, date, request-line and digest, in that order. */
export function computeHmacSignature(input: HmacSignatureInput): HmacSignature {
  const digest = `SHA-256=${createHash('sha256').update(input.body).digest('base64')}`;
  const requestLine = `${input.method.toUpperCase()} ${input.pathWithQuery} HTTP/1.1`;
  const signingString = `host: ${input.host}\ndate: ${input.date}\n${requestLine}\ndigest: ${digest}`;
  const signature = createHmac('sha256', input.customerSecret)
    .update(signingString)
    .digest('base64');
  return { digest, signature };
}

/** The `Authorization` header value for the HMAC scheme. */
export function buildHmacAuthorization(customerId: string, signature: string): string {
  return `hmac username="${customerId}", algorithm="hmac-sha256", headers="host date request-line digest", signature="${signature}"`;
}

/** The `Authorization` header value for HTTP Basic. */
export function buildBasicAuthorization(customerId: string, customerSecret: string): string {
  return `Basic ${Buffer.from(`${customerId}:${customerSecret}`, 'utf8').toString('base64')}`;
}
