// Limits and timeouts as cardano-node sets them (ouroboros-network's NodeToNode and the protocols' Codec
// modules), so a poolfleet node tolerates exactly what a Haskell node tolerates. Timeouts are in milliseconds
// and every one can be overridden (tests use short ones).

/** Mini-protocol numbers, node-to-node. */
export const PROTOCOL = {
  handshake: 0,
  chainSync: 2,
  blockFetch: 3,
  txSubmission: 4,
  keepAlive: 8,
  peerSharing: 10,
} as const;

export const PROTOCOL_NAMES: Record<number, string> = {
  0: "handshake",
  2: "chain-sync",
  3: "block-fetch",
  4: "tx-submission2",
  8: "keep-alive",
  10: "peer-sharing",
  5: "local chain-sync",
  6: "local tx-submission",
  7: "local state-query",
  9: "local tx-monitor",
};

/** Mini-protocol numbers, node-to-client (the local socket). */
export const N2C_PROTOCOL = {
  handshake: 0,
  localChainSync: 5,
  localTxSubmission: 6,
  localStateQuery: 7,
  localTxMonitor: 9,
} as const;

/** Largest SDU payload we send node-to-node (the socket bearer's sduSize). */
export const N2N_SDU_SIZE = 12288;
/** Largest SDU payload we accept: the u16 length field allows 65535, and gouroboros sends SDUs that large. */
export const MAX_INGRESS_SDU = 0xffff;

// Per-message size limits by protocol state (Ouroboros.Network.Protocol.Limits).
export const SMALL_BYTE_LIMIT = 65535;
export const LARGE_BYTE_LIMIT = 2_500_000;
/** Handshake messages: one TCP initial window (4 segments of 1440 bytes). */
export const HANDSHAKE_BYTE_LIMIT = 5760;

const addSafetyMargin = (x: number) => x + Math.floor(x / 10);

/** The mux's per-protocol ingress queue limits (bytes buffered and not yet consumed), with cardano-node's
 *  default MiniProtocolParameters: chain-sync high mark 300, block-fetch pipelining 100, 10 unacked txs. */
export const INGRESS_LIMITS: Record<number, number> = {
  [PROTOCOL.handshake]: HANDSHAKE_BYTE_LIMIT,
  [PROTOCOL.chainSync]: addSafetyMargin(300 * 1400),
  [PROTOCOL.blockFetch]: addSafetyMargin(Math.max(10 * 2_097_154, 100 * 90_112)),
  [PROTOCOL.txSubmission]: addSafetyMargin(10 * (44 + 65_540)),
  [PROTOCOL.keepAlive]: addSafetyMargin(1280),
  [PROTOCOL.peerSharing]: 4 * 1440,
  // Node-to-client: a client sends one request at a time, so a few of its small messages; a transaction may be
  // as large as a whole SMALL_BYTE_LIMIT message.
  [N2C_PROTOCOL.localChainSync]: addSafetyMargin(10 * 1400),
  [N2C_PROTOCOL.localTxSubmission]: addSafetyMargin(2 * SMALL_BYTE_LIMIT),
  // A query (a few addresses or inputs) or an acquire at a time.
  [N2C_PROTOCOL.localStateQuery]: addSafetyMargin(2 * SMALL_BYTE_LIMIT),
  [N2C_PROTOCOL.localTxMonitor]: addSafetyMargin(10 * 1400),
};

export interface NetworkTimeouts {
  /** Each side waiting for the other's handshake message (timeLimitsHandshake). */
  readonly handshakeMs: number;
  /** A started SDU must complete within this (sduTimeout after the handshake). */
  readonly sduReadMs: number;
  /** Bytes handed to the socket must leave within this (the Haskell mux's sduTimeout on writes). */
  readonly sduWriteMs: number;
  /** chain-sync server waiting for the client's next request (ChainSyncIdleTimeout, cardano-node default). */
  readonly chainSyncIdleMs: number;
  /** chain-sync client waiting for IntersectFound/NotFound (shortWait). */
  readonly chainSyncIntersectMs: number;
  /** chain-sync client waiting for the reply to RequestNext before any AwaitReply (shortWait). */
  readonly chainSyncCanAwaitMs: number;
  /** chain-sync client waiting after AwaitReply: drawn uniformly from [min, max] (untrusted peers). */
  readonly chainSyncMustReplyMs: readonly [number, number];
  /** block-fetch client waiting for StartBatch/NoBlocks, and for each block of a batch (longWait). */
  readonly blockFetchBusyMs: number;
  readonly blockFetchStreamingMs: number;
  /** tx-submission2 server waiting for a non-blocking ReplyTxIds and for ReplyTxs (shortWait). */
  readonly txSubmissionReplyMs: number;
  /** keep-alive server waiting for the client's next MsgKeepAlive. */
  readonly keepAliveClientMs: number;
  /** keep-alive client waiting for MsgKeepAliveResponse. */
  readonly keepAliveServerMs: number;
  /** How often our keep-alive client pings (well inside the peer's keepAliveClientMs). */
  readonly keepAliveIntervalMs: number;
  /** peer-sharing client waiting for MsgSharePeers (longWait). */
  readonly peerSharingMs: number;
}

export const DEFAULT_TIMEOUTS: NetworkTimeouts = {
  handshakeMs: 10_000,
  sduReadMs: 30_000,
  sduWriteMs: 30_000,
  chainSyncIdleMs: 3373_000,
  chainSyncIntersectMs: 10_000,
  chainSyncCanAwaitMs: 10_000,
  chainSyncMustReplyMs: [601_000, 911_000],
  blockFetchBusyMs: 60_000,
  blockFetchStreamingMs: 60_000,
  txSubmissionReplyMs: 10_000,
  keepAliveClientMs: 97_000,
  keepAliveServerMs: 60_000,
  keepAliveIntervalMs: 10_000,
  peerSharingMs: 60_000,
};

export function timeoutsWith(overrides: Partial<NetworkTimeouts> = {}): NetworkTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...overrides };
}
