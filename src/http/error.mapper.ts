import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError, httpStatusForCode, RateLimitedError, type ErrorCode } from '../errors/domain-errors.js';

/** One field problem of a 422: `loc` like FastAPI (`['body', 'chunk_size']`), `msg` the reason. */
export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface ErrorBody {
  detail: string;
  code: ErrorCode | string;
  errors?: FieldError[];
  request_id?: string;
}

interface ZodLikeIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: (string | number)[]; code?: string; message?: string } };
}

const LOCATION_BY_CONTEXT: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function fieldErrorsOf(err: FastifyError): FieldError[] {
  const location = LOCATION_BY_CONTEXT[err.validationContext ?? 'body'] ?? 'body';
  return (err.validation ?? []).map((raw) => {
    const issue = (raw as ZodLikeIssue).params?.issue;
    const pathParts = issue?.path ?? ((raw as ZodLikeIssue).instancePath ?? '').split('/').filter(Boolean);
    return { loc: [location, ...pathParts], msg: issue?.message ?? raw.message ?? 'invalid value', type: issue?.code ?? 'invalid' };
  });
}

/** Fastify's own 4xx errors (parser, content type, body size) keep their status with a stable code. */
function codeForFastifyError(err: FastifyError, status: number): ErrorCode | string {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'not_found';
  return 'bad_request';
}

/**
 * The one error mapper: domain errors by their code (`httpStatusForCode`), request validation → 422
 * with per-field `errors` (invalid path ids → 404, like any id that names nothing), Fastify's own
 * client errors keep their status, anything else → 500 with the request id in body and log and no
 * internals sent to the client.
 */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof DomainError) {
    const status = httpStatusForCode(err.code);
    if (err instanceof RateLimitedError) reply.header('Retry-After', String(err.retryAfterSeconds));
    const body: ErrorBody = { detail: err.message, code: err.code };
    if (status >= 500) {
      request.log.error({ err, requestId: request.id }, 'request failed');
      body.request_id = request.id;
    }
    return reply.code(status).send(body);
  }

  const fastifyError = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError) || fastifyError.validation) {
    if (fastifyError.validationContext === 'params') {
      return reply.code(404).send({ detail: 'Not found: the id in the path is not a valid identifier', code: 'not_found' });
    }
    const errors = fieldErrorsOf(fastifyError);
    const detail = errors.map((e) => `${e.loc.slice(1).join('.') || e.loc[0]}: ${e.msg}`).join('; ') || 'Invalid request';
    return reply.code(422).send({ detail, code: 'validation_error', errors } satisfies ErrorBody);
  }

  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500 && !isResponseSerializationError(err)) {
    const detail =
      status === 413 ? `Request body is larger than the limit of ${request.server.deps?.config.maxBodyBytes ?? 'configured'} bytes (SEMANTIK_MAX_BODY_BYTES)` : fastifyError.message;
    return reply.code(status).send({ detail, code: codeForFastifyError(fastifyError, status) } satisfies ErrorBody);
  }

  request.log.error({ err, requestId: request.id, method: request.method, url: request.url }, 'unhandled error');
  return reply.code(500).send({
    detail: `Internal server error; quote request id ${request.id} when reporting it`,
    code: 'internal_error',
    request_id: request.id,
  } satisfies ErrorBody);
}
