/** Who a request acts for, once a guard has authenticated it. No credential is kept here. */
export interface Principal {
  readonly kind: 'user' | 'machine';
  /** `sub` of the token, or the public id of the API key. */
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
}
