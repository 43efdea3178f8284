/** Why an admin operation cannot proceed: a closed set the controller and the CLI translate. */
export type ApiKeyStateCode = 'not_found' | 'not_active' | 'already_rotated';

export class ApiKeyStateError extends Error {
  constructor(readonly code: ApiKeyStateCode) {
    super(code);
    this.name = 'ApiKeyStateError';
  }
}
