import { Strategy } from 'passport-jwt';
import { TokenRejectedError } from './token-rejected.error';
import { TokenVerdictCache } from './token-verdict.cache';

type VerifyDone = (error: unknown, payload?: unknown) => void;
type JwtVerifier = (token: string, key: unknown, options: object, done: VerifyDone) => unknown;
type HookedStrategy = typeof Strategy & { JwtVerifier: JwtVerifier };

const hooked = Strategy as HookedStrategy;
/** passport-jwt's own verifier (jsonwebtoken's `verify`), called for every miss. */
const verifyInFull: JwtVerifier = hooked.JwtVerifier;
/** The verifier options object of each caching strategy, mapped to its cache. */
const caches = new WeakMap<object, TokenVerdictCache>();

/**
 * passport-jwt verifies through one replaceable function, `Strategy.JwtVerifier` (its own
 * injection point for the verification step). This hook puts a TokenVerdictCache in front of
 * it for the strategies registered here, and passes every other call through unchanged, so
 * passport-jwt's flow is untouched: token extraction, our key provider (header checks), then
 * verification, then the strategy's `validate()` claim checks, on every request.
 *
 * A hit returns the payload verified earlier for this exact token, after `exp`/`nbf` are
 * checked again; a miss runs jsonwebtoken and remembers its verdict (TokenVerdictCache says
 * what is remembered and for how long).
 */
export class JwtVerifierHook {
  /**
   * Routes the strategy's verification through `cache`. passport-jwt hands its verifier the
   * options object it built for that strategy (`_verifOpts`); that object is what identifies
   * the strategy here. Throws at boot if passport-jwt ever stops exposing it.
   */
  static attach(strategy: object, cache: TokenVerdictCache): void {
    const options = (strategy as { _verifOpts?: unknown })._verifOpts;
    if (typeof options !== 'object' || options === null) {
      throw new Error(
        'passport-jwt no longer exposes its verifier options; update JwtVerifierHook',
      );
    }
    caches.set(options, cache);
    if (hooked.JwtVerifier !== JwtVerifierHook.verify) hooked.JwtVerifier = JwtVerifierHook.verify;
  }

  private static readonly verify: JwtVerifier = (token, key, options, done) => {
    const cache = caches.get(options);
    if (!cache) return verifyInFull(token, key, options, done);
    const digest = TokenVerdictCache.digest(token);
    const verdict = cache.lookup(digest);
    if (verdict && 'verified' in verdict) {
      done(null, verdict.verified);
      return;
    }
    if (verdict) {
      done(new TokenRejectedError(verdict.rejected));
      return;
    }
    return verifyInFull(token, key, options, (error, payload) => {
      if (error) {
        cache.rememberRejected(digest, TokenRejectedError.reasonOf(error));
      } else if (typeof payload === 'object' && payload !== null) {
        cache.rememberVerified(digest, payload as Record<string, unknown>);
      }
      done(error, payload);
    });
  };
}
