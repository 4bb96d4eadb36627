/** Subject paths of a GPU's MMU. */
export const mmuPaths = (gpu: number) => ({
  /** `AsCommandIssued`, from the register file. */
  cmd: `gpu${gpu}.mmu.cmd`,
  /** `AsCommandCompleted`, to the register file. */
  status: `gpu${gpu}.mmu.status`,
  /** `AsCommandRejected`. */
  error: `gpu${gpu}.mmu.error`,
  /** `AsFaultRaised`, to the register file. */
  fault: `gpu${gpu}.mmu.fault`,
  /** `TranslationRequested`, from the shader cores (later the MCU). */
  translate: `gpu${gpu}.mmu.translate`,
  /** `TranslationCompleted` and `TranslationStalled`, to the requester. */
  translated: `gpu${gpu}.mmu.translated`,
});
