/** What one generator process is asked to do: its target, mode and share of the load. */
import type { LoadMode } from './load-options.ts';
import type { NodeTrafficSpec } from './node-traffic.ts';

export interface GeneratorSpec {
  readonly host: string;
  readonly port: number;
  readonly mode: LoadMode;
  /** This process's share. */
  readonly connections: number;
  /** New connections per second, this process's share; `undefined`: no pacing. */
  readonly ramp: number | undefined;
  /** Messages (churn: handshakes) per second, this process's share; `undefined`: closed loop. */
  readonly rate: number | undefined;
  readonly inFlight: number;
  readonly chain: string;
  /** Dial + handshake limit per connection, ms. */
  readonly timeout: number;
  /** Handshakes in flight at once in this process. */
  readonly connectConcurrency: number;
  /** Node mode's requests and pace (node-traffic.ts); absent in the other modes. */
  readonly node?: NodeTrafficSpec | undefined;
}
