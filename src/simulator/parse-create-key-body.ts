import { randomInt } from 'node:crypto';
import { MESSAGES } from './agora-messages.js';
import type { NewKeySettings } from './gateway-state.js';

export type ParseCreateKeyResult =
  { ok: true; settings: NewKeySettings } | { ok: false; message: string };

// Agora's 89-character alphabet for channel names and string UIDs (reference §2.1).
const NAME_ALPHABET = /^[a-zA-Z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]*$/;
const TEMPLATE_ID = /^[A-Za-z0-9]{1,12}$/;
const MAX_NUMERIC_UID = 4_294_967_295;

function randomChannel(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = 'GR-';
  for (let i = 0; i < 8; i += 1) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a create-key body the way Agora documents it: `channel` may be '' (random channel),
 * `uid` '' or '0' means a random numeric UID, not both at once; numeric UIDs are normalised
 * ("0123" → "123"); `expiresAfter` is a required integer >= 0.
 */
export function parseCreateKeyBody(raw: Uint8Array): ParseCreateKeyResult {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return { ok: false, message: MESSAGES.invalidSettings };
  }
  if (!isObject(body) || !isObject(body.settings)) {
    return { ok: false, message: MESSAGES.invalidSettings };
  }
  const { channel, uid, expiresAfter, templateId } = body.settings;
  if (typeof channel !== 'string') return { ok: false, message: MESSAGES.invalidSettings };
  if (Buffer.byteLength(channel) >= 64 || !NAME_ALPHABET.test(channel)) {
    return { ok: false, message: MESSAGES.invalidChannel };
  }
  if (typeof uid !== 'string' || Buffer.byteLength(uid) > 255 || !NAME_ALPHABET.test(uid)) {
    return { ok: false, message: MESSAGES.invalidSettings };
  }
  if (typeof expiresAfter !== 'number' || !Number.isSafeInteger(expiresAfter) || expiresAfter < 0) {
    return { ok: false, message: MESSAGES.invalidSettings };
  }
  if (templateId !== undefined && templateId !== null) {
    if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId)) {
      return { ok: false, message: 'Invalid template ID.' };
    }
  }

  let finalUid = uid;
  if (/^\d+$/.test(uid)) {
    const n = Number(uid);
    if (n === 0) finalUid = '';
    else if (n <= MAX_NUMERIC_UID) finalUid = String(n);
  }
  if (channel === '' && finalUid === '') return { ok: false, message: MESSAGES.invalidSettings };

  const settings: NewKeySettings = {
    channel: channel === '' ? randomChannel() : channel,
    uid: finalUid === '' ? String(randomInt(1, MAX_NUMERIC_UID)) : finalUid,
    expiresAfter,
  };
  if (typeof templateId === 'string') settings.templateId = templateId;
  return { ok: true, settings };
}
