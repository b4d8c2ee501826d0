/**
 * `P2p_stat.t` in the node's JSON form (protocol.md §12.2): the int64 totals are decimal strings
 * (as the node's RPC writes them, so no JSON reader rounds them), the int31 rates are numbers.
 */
import type { Stat } from './traffic-stats.ts';

export interface StatJson {
  readonly total_sent: string;
  readonly total_recv: string;
  readonly current_inflow: number;
  readonly current_outflow: number;
}

export function statJson(stat: Stat): StatJson {
  return {
    total_sent: BigInt(Math.trunc(stat.totalSent)).toString(),
    total_recv: BigInt(Math.trunc(stat.totalRecv)).toString(),
    current_inflow: Math.trunc(stat.currentInflow),
    current_outflow: Math.trunc(stat.currentOutflow),
  };
}
