/**
 * The driver's view of the MCU firmware (`struct panthor_fw`, panthor_fw.c): the sections it
 * loaded into the MCU VM, the CPU mapping of the shared section, the interfaces read from it
 * after boot, and whether the MCU has announced itself (`fw->booted`).
 */
import type { DiscoveredInterfaces } from "../../firmware/interfaceDiscovery.ts";
import type { KernelBo } from "../uapi/kernelBo.ts";
import type { KernelMap } from "../uapi/kernelMap.ts";

/** One loaded section (`struct panthor_fw_section`): a kernel BO at the section's MCU VA. */
export interface FwSection {
  readonly name: string;
  readonly va: { readonly start: number; readonly end: number };
  readonly bo: KernelBo;
  /** The section's data (copied again on a slow reset, `panthor_reload_fw_sections`). */
  readonly data: Uint8Array;
  readonly shared: boolean;
}

/** `struct panthor_fw` as far as tyrsim models it. */
export interface FwDevice {
  readonly sections: readonly FwSection[];
  /** The CPU mapping of the shared (interface) section. */
  readonly shared: KernelMap;
  /** BUILD_INFO_METADATA's git SHA ("Firmware git sha: …"), when the image carries one. */
  readonly gitSha: string | undefined;
  /** The interfaces read after boot (`panthor_fw_init_ifaces`). */
  ifaces: DiscoveredInterfaces | undefined;
  /** The MCU raised GLOBAL_IF after MCU_CONTROL = AUTO (`fw->booted`). */
  booted: boolean;
  /** The ping watchdog (`fw->watchdog`, `fwPing.ts`). */
  readonly watchdog: FwWatchdog;
}

/** `struct panthor_fw_watchdog` as tyrsim keeps it: when `ping_work` is due, if it is armed. */
export interface FwWatchdog {
  /** Virtual time of the next ping; undefined while the work is cancelled (suspend, reset, failure). */
  nextPingNs: number | undefined;
  /** Pings sent and acknowledged so far (for snapshots and tests). */
  pings: number;
}
