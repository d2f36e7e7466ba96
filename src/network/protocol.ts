// A mini-protocol's state machine, shared by every protocol: who has agency in each state, which message moves
// to which state, the size limit of a message in each state and the time allowed to wait for one. A driver runs
// one side (client or server) over a mux channel. Messages that arrive while we have agency wait in the channel
// (pipelining) and count against the ingress limit; a message the peer may not send in the current state, one
// that does not decode, one over the state's size limit, a timeout, or data after the protocol ended, close the
// connection with a reason that names the protocol, the state and the message.
import { type Channel, ConnectionClosedError, MalformedMessageError } from "./mux.ts";
import { WireError } from "./wire.ts";

export type Agency = "client" | "server" | "none";
export type Role = "client" | "server";

export interface Message {
  readonly type: string;
}

export interface ProtocolSpec<S extends string, M extends Message> {
  readonly name: string;
  readonly initial: S;
  agency(state: S): Agency;
  /** The state after `msg` is sent in `state`, or undefined when `msg` is not allowed there. */
  next(state: S, msg: M): S | undefined;
  encode(msg: M): Uint8Array;
  /** Throws WireError when the bytes are not a message of this protocol. */
  decode(bytes: Uint8Array): M;
  /** Largest message allowed in `state`, in bytes. */
  sizeLimit(state: S): number;
}

/** How long (ms) to wait for the peer's message in a state; null waits forever. */
export type TimeLimit<S extends string> = (state: S) => number | null;

export class Driver<S extends string, M extends Message> {
  readonly spec: ProtocolSpec<S, M>;
  readonly channel: Channel;
  readonly role: Role;
  readonly #timeLimit: TimeLimit<S>;
  #state: S;
  #receiving = false;

  constructor(channel: Channel, spec: ProtocolSpec<S, M>, role: Role, timeLimit: TimeLimit<S>) {
    this.channel = channel;
    this.spec = spec;
    this.role = role;
    this.#timeLimit = timeLimit;
    this.#state = spec.initial;
    channel.onIngress = () => {
      if (this.spec.agency(this.#state) === "none") {
        this.fail(`${spec.name}: the ${this.peer} sent data in state ${this.#state}, after the protocol ended`);
      }
    };
  }

  get state(): S {
    return this.#state;
  }

  get peer(): Role {
    return this.role === "client" ? "server" : "client";
  }

  get done(): boolean {
    return this.spec.agency(this.#state) === "none";
  }

  /** Close the whole connection with `reason`; returns the error to throw. */
  fail(reason: string): ConnectionClosedError {
    this.channel.mux.close(reason);
    return new ConnectionClosedError(this.channel.mux.closeReason ?? reason);
  }

  /** Send a message we have agency for (a wrong one is a bug here, not the peer's fault: it throws). */
  send(msg: M): void {
    const closed = this.channel.mux.closeReason;
    if (closed !== undefined) throw new ConnectionClosedError(closed);
    if (this.spec.agency(this.#state) !== this.role) {
      throw new Error(`${this.spec.name}: the ${this.role} cannot send ${msg.type} in state ${this.#state}`);
    }
    const next = this.spec.next(this.#state, msg);
    if (next === undefined) throw new Error(`${this.spec.name}: ${msg.type} is not allowed in state ${this.#state}`);
    this.#state = next;
    this.channel.send(this.spec.encode(msg));
  }

  /** The peer's next message, checked against the state machine. Rejects with ConnectionClosedError. */
  async recv(): Promise<M> {
    const name = this.spec.name;
    if (this.spec.agency(this.#state) !== this.peer) {
      throw new Error(`${name}: waiting for the ${this.peer} in state ${this.#state}, where it has no agency`);
    }
    if (this.#receiving) throw new Error(`${name}: two receives at once`);
    this.#receiving = true;
    if (this.role === "server") {
      // A server takes the peer's next request only once its answers so far are on their way (a peer that
      // pipelines requests and reads nothing must not grow our egress: its requests wait in ingress, bounded
      // there), and only on a later turn of the event loop: requests piled up in ingress are answered one per
      // turn, so the slot loop's timers and the other connections get their turns in between.
      await this.channel.whenWritable();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const state = this.#state;
    const limit = this.#timeLimit(state);
    const timer =
      limit === null
        ? undefined
        : setTimeout(
            () => this.fail(`${name}: the ${this.peer} sent nothing in state ${state} within ${limit} ms`),
            limit,
          );
    try {
      while (true) {
        const closed = this.channel.mux.closeReason;
        if (closed !== undefined) throw new ConnectionClosedError(closed);
        let bytes: Uint8Array | null;
        try {
          bytes = this.channel.takeMessage();
        } catch (error) {
          if (!(error instanceof MalformedMessageError)) throw error;
          throw this.fail(`${name}: malformed message from the ${this.peer} in state ${state}: ${error.message}`);
        }
        if (bytes) {
          const sizeLimit = this.spec.sizeLimit(state);
          if (bytes.length > sizeLimit) {
            throw this.fail(
              `${name}: a ${bytes.length}-byte message in state ${state} is over the limit of ${sizeLimit}`,
            );
          }
          let msg: M;
          try {
            msg = this.spec.decode(bytes);
          } catch (error) {
            if (!(error instanceof WireError)) throw error;
            throw this.fail(`${name}: undecodable message from the ${this.peer} in state ${state}: ${error.message}`);
          }
          const next = this.spec.next(state, msg);
          if (next === undefined) {
            throw this.fail(`${name}: in state ${state} the ${this.peer} sent ${msg.type}, which is not allowed`);
          }
          this.#state = next;
          if (this.spec.agency(next) === "none" && this.channel.buffered > 0) {
            throw this.fail(`${name}: the ${this.peer} sent data in state ${next}, after the protocol ended`);
          }
          return msg;
        }
        const sizeLimit = this.spec.sizeLimit(state);
        if (this.channel.buffered > sizeLimit) {
          throw this.fail(`${name}: a message in state ${state} grew past the limit of ${sizeLimit} bytes`);
        }
        await this.channel.waitIngress();
      }
    } finally {
      clearTimeout(timer);
      this.#receiving = false;
    }
  }
}

/**
 * The loop of a node-to-client server: hand each message the client sends to `handle` until it answers "done"
 * (the client's MsgDone) or the connection closes. Anything else thrown (a protocol violation the handler or the
 * driver found, a bug) ends the loop with that error.
 */
export async function serveMessages<S extends string, M extends Message>(
  driver: Driver<S, M>,
  handle: (msg: M) => "done" | undefined | Promise<"done" | undefined>,
): Promise<void> {
  try {
    while ((await handle(await driver.recv())) !== "done");
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}
