/**
 * Collective communication for the training gang.
 *
 * <p>{@link io.lora4j.trainer.dist.Communicator} is what the trainer calls: {@code allReduceSum} on the fused gradient
 * buffer once per optimizer step, {@code allGatherLong}/{@code broadcast}/{@code barrier} for small control messages
 * (e.g. comparing adapter checksums). Implementations: {@link io.lora4j.trainer.dist.LocalCommunicator} (one worker)
 * and {@link io.lora4j.trainer.dist.TcpRingCommunicator} (a ring all-reduce over TCP); a device-side implementation
 * (NCCL) would override {@code allReduceSum(INDArray)}.
 *
 * <p>Joining a ring from a Spark barrier task:
 * <pre>{@code
 * Rendezvous rv = Rendezvous.bindEphemeral(executorHost);        // bind first: the port must be known
 * String[] all = barrierContext.allGather(rv.addressString());  // once, at start-up (costs ~1 s)
 * List<InetSocketAddress> peers = Arrays.stream(all).map(Rendezvous::parse).toList();
 * try (Communicator comm = rv.connect(partitionId, peers, RingOptions.defaults().withSessionId(stageAttempt))) { ... }
 * }</pre>
 *
 * <p>Wire format: after a handshake (magic, version, session, rank, world size) every message is a frame with a
 * 40-byte header (op, sequence number, step, chunk, frame index, op length, payload length) and a CRC-32C over header
 * and payload; floats travel little-endian. See {@link io.lora4j.trainer.dist.FrameHeader}.
 */
package io.lora4j.trainer.dist;
