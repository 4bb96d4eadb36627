/** Subject paths of a GPU's register file (the MMIO boundary between driver and hardware). */
export const regsPaths = (gpu: number) => ({
  /** `MmioWriteIssued`, `MmioReadIssued`: the driver's register accesses. */
  mmio: `gpu${gpu}.mmio`,
  /** `MmioReadCompleted`: the value a read returned. */
  read: `gpu${gpu}.mmio.read`,
  /** `IrqLineChanged`: the job, mmu and gpu interrupt lines. */
  irq: `gpu${gpu}.irq`,
  /** `IrqRaised`: a hardware block (the MCU firmware) sets raw interrupt bits. */
  raise: `gpu${gpu}.irq.raise`,
  /** `GpuSoftResetCompleted`: every block must drop its state. */
  reset: `gpu${gpu}.regs.reset`,
  /** `RegisterWriteIgnored`. */
  error: `gpu${gpu}.regs.error`,
  /** `DoorbellRung`, for the MCU firmware. */
  doorbell: `gpu${gpu}.doorbell`,
  /** `McuControlWritten`, for the MCU firmware. */
  mcuControl: `gpu${gpu}.mcu.control`,
  /** `McuStatusChanged`, from the MCU firmware. */
  mcuStatus: `gpu${gpu}.mcu.status`,
});
