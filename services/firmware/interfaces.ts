import { defineStruct } from "../../shared/gpu/structLayout.ts";

/**
 * The CSF firmware interface blocks in the MCU shared region, field for field as
 * `panthor_fw.h` declares them (panthor.md §3.2–3.6, cs-isa.md §1.5 and §7.3): control blocks
 * (firmware-written, read-only to the host), input pages (host → firmware: `req`, config) and
 * output pages (firmware → host: `ack`, status). Offsets are derived from the declarations by
 * `defineStruct` (arm64 natural alignment), so `GLB_INPUT.offsets.idle_timer === 0x80` and
 * `CS_OUTPUT.offsets.fatal === 0x84` as in the kernel.
 */

/** `struct panthor_fw_global_control_iface`. */
export const GLB_CONTROL = defineStruct("panthor_fw_global_control_iface", [
  { name: "version", type: "u32" },
  { name: "features", type: "u32" },
  { name: "input_va", type: "u32" },
  { name: "output_va", type: "u32" },
  { name: "group_num", type: "u32" },
  { name: "group_stride", type: "u32" },
  { name: "perfcnt_size", type: "u32" },
  { name: "instr_features", type: "u32" },
] as const);

/** `struct panthor_fw_global_input_iface`. */
export const GLB_INPUT = defineStruct("panthor_fw_global_input_iface", [
  { name: "req", type: "u32" },
  { name: "ack_irq_mask", type: "u32" },
  { name: "doorbell_req", type: "u32" },
  { name: "reserved1", type: "u32" },
  { name: "progress_timer", type: "u32" },
  { name: "poweroff_timer", type: "u32" },
  { name: "core_en_mask", type: "u64" },
  { name: "reserved2", type: "u32" },
  { name: "perfcnt_as", type: "u32" },
  { name: "perfcnt_base", type: "u64" },
  { name: "perfcnt_extract", type: "u32" },
  { name: "reserved3", type: "u32", count: 3 },
  { name: "perfcnt_config", type: "u32" },
  { name: "perfcnt_csg_select", type: "u32" },
  { name: "perfcnt_fw_enable", type: "u32" },
  { name: "perfcnt_csg_enable", type: "u32" },
  { name: "perfcnt_csf_enable", type: "u32" },
  { name: "perfcnt_shader_enable", type: "u32" },
  { name: "perfcnt_tiler_enable", type: "u32" },
  { name: "perfcnt_mmu_l2_enable", type: "u32" },
  { name: "reserved4", type: "u32", count: 8 },
  { name: "idle_timer", type: "u32" },
] as const);

/** `struct panthor_fw_global_output_iface`. */
export const GLB_OUTPUT = defineStruct("panthor_fw_global_output_iface", [
  { name: "ack", type: "u32" },
  { name: "reserved1", type: "u32" },
  { name: "doorbell_ack", type: "u32" },
  { name: "reserved2", type: "u32" },
  { name: "halt_status", type: "u32" },
  { name: "perfcnt_status", type: "u32" },
  { name: "perfcnt_insert", type: "u32" },
] as const);

/** `struct panthor_fw_csg_control_iface`. */
export const CSG_CONTROL = defineStruct("panthor_fw_csg_control_iface", [
  { name: "features", type: "u32" },
  { name: "input_va", type: "u32" },
  { name: "output_va", type: "u32" },
  { name: "suspend_size", type: "u32" },
  { name: "protm_suspend_size", type: "u32" },
  { name: "stream_num", type: "u32" },
  { name: "stream_stride", type: "u32" },
] as const);

/** `struct panthor_fw_csg_input_iface`. */
export const CSG_INPUT = defineStruct("panthor_fw_csg_input_iface", [
  { name: "req", type: "u32" },
  { name: "ack_irq_mask", type: "u32" },
  { name: "doorbell_req", type: "u32" },
  { name: "cs_irq_ack", type: "u32" },
  { name: "reserved1", type: "u32", count: 4 },
  { name: "allow_compute", type: "u64" },
  { name: "allow_fragment", type: "u64" },
  { name: "allow_other", type: "u32" },
  { name: "endpoint_req", type: "u32" },
  { name: "reserved2", type: "u32", count: 2 },
  { name: "suspend_buf", type: "u64" },
  { name: "protm_suspend_buf", type: "u64" },
  { name: "config", type: "u32" },
  { name: "iter_trace_config", type: "u32" },
] as const);

/** `struct panthor_fw_csg_output_iface`. */
export const CSG_OUTPUT = defineStruct("panthor_fw_csg_output_iface", [
  { name: "ack", type: "u32" },
  { name: "reserved1", type: "u32" },
  { name: "doorbell_ack", type: "u32" },
  { name: "cs_irq_req", type: "u32" },
  { name: "status_endpoint_current", type: "u32" },
  { name: "status_endpoint_req", type: "u32" },
  { name: "status_state", type: "u32" },
  { name: "resource_dep", type: "u32" },
] as const);

/** `struct panthor_fw_cs_control_iface`. */
export const CS_CONTROL = defineStruct("panthor_fw_cs_control_iface", [
  { name: "features", type: "u32" },
  { name: "input_va", type: "u32" },
  { name: "output_va", type: "u32" },
] as const);

/** `struct panthor_fw_cs_input_iface`. */
export const CS_INPUT = defineStruct("panthor_fw_cs_input_iface", [
  { name: "req", type: "u32" },
  { name: "config", type: "u32" },
  { name: "reserved1", type: "u32" },
  { name: "ack_irq_mask", type: "u32" },
  { name: "ringbuf_base", type: "u64" },
  { name: "ringbuf_size", type: "u32" },
  { name: "reserved2", type: "u32" },
  { name: "heap_start", type: "u64" },
  { name: "heap_end", type: "u64" },
  { name: "ringbuf_input", type: "u64" },
  { name: "ringbuf_output", type: "u64" },
  { name: "instr_config", type: "u32" },
  { name: "instrbuf_size", type: "u32" },
  { name: "instrbuf_base", type: "u64" },
  { name: "instrbuf_offset_ptr", type: "u64" },
] as const);

/** `struct panthor_fw_cs_output_iface`. */
export const CS_OUTPUT = defineStruct("panthor_fw_cs_output_iface", [
  { name: "ack", type: "u32" },
  { name: "reserved1", type: "u32", count: 15 },
  { name: "status_cmd_ptr", type: "u64" },
  { name: "status_wait", type: "u32" },
  { name: "status_req_resource", type: "u32" },
  { name: "status_wait_sync_ptr", type: "u64" },
  { name: "status_wait_sync_value", type: "u32" },
  { name: "status_scoreboards", type: "u32" },
  { name: "status_blocked_reason", type: "u32" },
  { name: "status_wait_sync_value_hi", type: "u32" },
  { name: "reserved2", type: "u32", count: 6 },
  { name: "fault", type: "u32" },
  { name: "fatal", type: "u32" },
  { name: "fault_info", type: "u64" },
  { name: "fatal_info", type: "u64" },
  { name: "reserved3", type: "u32", count: 10 },
  { name: "heap_vt_start", type: "u32" },
  { name: "heap_vt_end", type: "u32" },
  { name: "reserved4", type: "u32" },
  { name: "heap_frag_end", type: "u32" },
  { name: "heap_address", type: "u64" },
] as const);

/** `struct panthor_fw_ringbuf_input_iface`: the queue's user input page (host writes `insert`). */
export const RINGBUF_INPUT = defineStruct("panthor_fw_ringbuf_input_iface", [
  { name: "insert", type: "u64" },
  { name: "extract", type: "u64" },
] as const);

/** `struct panthor_fw_ringbuf_output_iface`: the queue's user output page (firmware writes `extract`). */
export const RINGBUF_OUTPUT = defineStruct("panthor_fw_ringbuf_output_iface", [
  { name: "extract", type: "u64" },
  { name: "active", type: "u32" },
] as const);
