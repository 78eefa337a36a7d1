// Errors as the OpenAI API reports them: an HTTP status and `{error: {message, type, param, code}}`,
// so clients (the official SDKs raise BadRequestError, NotFoundError, RateLimitError, ...) handle
// them as they would OpenAI's.

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: ErrorType = status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 naming the parameter at fault. */
export const badParam = (param: string, message: string, code: string | null = 'invalid_value'): ApiError =>
  new ApiError(400, message, param, code);
