/**
 * The demo's own access-log reason codes, declared so that ProblemException accepts them and a
 * misspelt one does not compile (src/kit/security/access-reason.ts).
 */
declare module '../../kit/security/access-reason' {
  interface ApplicationReasons {
    item_not_found: true;
  }
}

export {};
