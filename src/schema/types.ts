/**
 * The JSON Schema (draft 2020-12) subset the machine-readable specs use, and how a
 * protocol's schemas are tied to its endpoints (for the AsyncAPI documents).
 */

/** A JSON Schema, limited to the keywords lockstep's schemas use (test/schema checks them with its own validator). */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  type?:
    | 'object'
    | 'array'
    | 'string'
    | 'number'
    | 'integer'
    | 'boolean'
    | 'null'
    | ('object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null')[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  items?: JsonSchema;
  minItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  examples?: unknown[];
}

/** One endpoint of a protocol: a WebSocket path or a REST endpoint, with the `$defs` its messages use. */
export type Endpoint =
  | {
      /** A WebSocket: frames both ways. */
      kind: 'ws';
      /** Channel id in the AsyncAPI document. */
      id: string;
      /** The path as the spec writes it, `{name}` for parameters (no query string). */
      address: string;
      /** What it is for, and how it authenticates. */
      description: string;
      /** Query parameters of the upgrade request (`token`). */
      query?: Record<string, JsonSchema>;
      /** `$defs` names of the frames the client sends. */
      clientFrames: string[];
      /** `$defs` names of the frames the server sends. */
      serverFrames: string[];
    }
  | {
      /** A REST endpoint: a request, then a response. */
      kind: 'rest';
      /** Channel id in the AsyncAPI document. */
      id: string;
      /** The HTTP method. */
      method: 'GET' | 'POST' | 'PUT';
      /** The path as the spec writes it, `{name}` for parameters (no query string). */
      address: string;
      /** What it is for, its query parameters and status codes. */
      description: string;
      /** Query parameters (`since`, `limit`, `date`). */
      query?: Record<string, JsonSchema>;
      /** `$defs` name of the request body (none for GET). */
      request?: string;
      /** `$defs` names of the response bodies (success first, then errors). */
      responses: string[];
    };

/** A protocol's machine-readable contract. */
export interface ProtocolSchema {
  /** The protocol's name (`chat`). */
  protocol: string;
  /** The protocol's title. */
  title: string;
  /** The spec it follows (`docs/protocols/chat.md`). */
  spec: string;
  /** The JSON Schema document: every wire message under `$defs`. */
  schema: JsonSchema;
  /** The endpoints. */
  endpoints: Endpoint[];
}

/** The JSON Schema dialect every document declares. */
export const draft202012 = 'https://json-schema.org/draft/2020-12/schema';

/** RFC 3339 date-time (with `T`, seconds, optional fraction, `Z` or an offset). */
export const rfc3339Pattern = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$';

/** A `$ref` to a definition of the same document. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });

/** An RFC 3339 timestamp. */
export const timestamp = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  pattern: rfc3339Pattern,
  description,
});

/** `{"error": text}`, the body of 4xx/5xx answers. */
export const errorBody: JsonSchema = {
  title: 'ErrorBody',
  description: 'The body of an error answer (401 `{"error":"unauthorized"}`, 400 naming the field, 404, 409, …).',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'A machine-readable error code such as `unauthorized`.' },
    reason: { type: 'string', description: 'A human-readable reason (for 400: the field at fault).' },
  },
  required: ['error'],
  additionalProperties: true,
};
