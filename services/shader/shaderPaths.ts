/** Subject paths of a GPU's shader cores. */
export const shaderPaths = (gpu: number) => ({
  /** `JobDispatched`, from the firmware. */
  dispatch: `gpu${gpu}.shader.dispatch`,
  /** `JobStarted`, `JobCompleted`, `JobFaulted`. */
  job: `gpu${gpu}.shader.job`,
  /** `PowerOffDuringJob`. */
  fault: `gpu${gpu}.shader.fault`,
  /** `ShaderUtilisationRequested`. */
  utilRequest: `gpu${gpu}.shader.util.request`,
  /** `ShaderUtilisationReported`. */
  util: `gpu${gpu}.shader.util`,
  /** `JobFaultInjected` (also accepted on the run's `fault.inject`). */
  inject: `gpu${gpu}.shader.inject`,
});
