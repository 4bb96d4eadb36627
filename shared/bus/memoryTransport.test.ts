import { MemoryTransport } from "./memoryTransport.ts";
import { runTransportContract } from "./transportContract.ts";

runTransportContract("memory", async () => {
  const transport = new MemoryTransport();
  return { transport, cleanup: () => transport.close() };
});
