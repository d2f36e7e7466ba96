// The shape every ledger failure has: cardano-ledger's predicate failure name, a one-line message saying what
// was wrong, and the figures to act on.
export type F<K extends string, X = object> = { readonly kind: K; readonly message: string } & X;
