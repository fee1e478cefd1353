// What an operation answers, independent of format. The renderer turns a
// `document` into XML, JSON or HTML in one place (plugin.ts).
import type { Readable } from 'node:stream';
import type { XmlElement } from './xml.js';

export interface DocumentBody {
  kind: 'document';
  /** Built lazily: only the negotiated format is rendered. */
  xml: () => XmlElement;
  /** The XML text when it is made without the whole tree (lists of remembered members); the same bytes as serialising `xml()`. */
  xmlText?: () => string;
  json: () => unknown;
  /** Whether the XML carries the declaration line (lists and members do; the entry point and drivers don't). */
  xmlDeclaration: boolean;
  /** Page title for HTML. */
  title: string;
}

export interface HtmlBody {
  kind: 'html';
  html: string;
}

export interface StreamBody {
  kind: 'stream';
  stream: Readable;
  contentType: string;
}

export interface TextBody {
  kind: 'text';
  text: string;
  contentType: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Absent: empty body. */
  body?: DocumentBody | HtmlBody | StreamBody | TextBody;
  /** Empty responses that still carry the negotiated Content-Type (address associate, spec §11.11). */
  typedEmpty?: boolean;
  /** For HTML clients: answer with a redirect here instead of the body (spec §13). */
  htmlRedirect?: string;
}

export function documentReply(status: number, body: Omit<DocumentBody, 'kind'>, headers?: Record<string, string>): Reply {
  return { status, body: { kind: 'document', ...body }, headers };
}

export function emptyReply(status: number, headers?: Record<string, string>, htmlRedirect?: string): Reply {
  return { status, headers, htmlRedirect };
}
