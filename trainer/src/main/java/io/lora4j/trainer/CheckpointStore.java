package io.lora4j.trainer;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.proto.NamedTensor;
import io.lora4j.core.proto.TrainingState;
import io.lora4j.trainer.params.TrainableParameters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Checkpoints of a run directory: {@code checkpoints/step-000123.pb}, each one protobuf {@link TrainingState}
 * written to a temporary name and renamed, the newest {@code keep} kept. Works on any Hadoop FileSystem URI.
 */
public final class CheckpointStore {
    private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.pb");
    private final String dir;
    private final int keep;

    public CheckpointStore(String runDir, int keep) {
        this.dir = HadoopFs.join(runDir, "checkpoints");
        this.keep = keep;
    }

    public String directory() {
        return dir;
    }

    public String save(TrainingState state) throws IOException {
        HadoopFs.mkdirs(dir);
        String uri = HadoopFs.join(dir, String.format("step-%06d.pb", state.getStep()));
        HadoopFs.writeAtomically(uri, state.toByteArray());
        List<Long> steps = steps();
        for (int i = 0; i < steps.size() - keep; i++) HadoopFs.delete(HadoopFs.join(dir, String.format("step-%06d.pb", steps.get(i))));
        return uri;
    }

    /** Completed checkpoint steps, oldest first (temporary files are ignored). */
    public List<Long> steps() throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String name : HadoopFs.list(dir)) {
            Matcher m = NAME.matcher(name);
            if (m.matches()) steps.add(Long.parseLong(m.group(1)));
        }
        steps.sort(Comparator.naturalOrder());
        return steps;
    }

    /** The newest readable checkpoint; an unreadable newest one is reported and the one before it used. */
    public Optional<TrainingState> latest() throws IOException {
        List<Long> steps = steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            String uri = HadoopFs.join(dir, String.format("step-%06d.pb", steps.get(i)));
            try {
                return Optional.of(TrainingState.parseFrom(HadoopFs.readAll(uri)));
            } catch (InvalidProtocolBufferException e) {
                System.err.println("lora4j: checkpoint " + uri + " is unreadable (" + e.getMessage() + "); trying the previous one");
            }
        }
        return Optional.empty();
    }

    /** The trainable tensors, by segment, as float32 little-endian. */
    public static List<NamedTensor> tensors(TrainableParameters params) {
        List<NamedTensor> out = new ArrayList<>();
        INDArray flat = params.parameters();
        for (TrainableParameters.Segment s : params.segments()) {
            float[] v = flat.get(NDArrayIndex.interval(s.offset(), s.offset() + s.length())).castTo(DataType.FLOAT).toFloatVector();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            NamedTensor.Builder t = NamedTensor.newBuilder().setName(s.name()).setF32(ByteString.copyFrom(b.array()));
            for (long d : s.shape()) t.addShape(d);
            out.add(t.build());
        }
        return out;
    }

    /** Writes checkpointed tensors back into the flat parameter buffer, checking names and shapes. */
    public static void restoreTensors(TrainableParameters params, List<NamedTensor> tensors) {
        if (tensors.size() != params.segments().size()) {
            throw new IllegalStateException("checkpoint has " + tensors.size() + " tensors, the model being trained has " + params.segments().size());
        }
        INDArray flat = params.parameters();
        for (int i = 0; i < tensors.size(); i++) {
            TrainableParameters.Segment s = params.segments().get(i);
            NamedTensor t = tensors.get(i);
            if (!t.getName().equals(s.name()) || t.getF32().size() != s.length() * 4) {
                throw new IllegalStateException("checkpoint tensor " + t.getName() + " (" + t.getF32().size() / 4 + " values) does not match "
                        + s.name() + " (" + s.length() + " values): was the checkpoint written with another LoRA config?");
            }
            float[] v = new float[(int) s.length()];
            t.getF32().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            flat.get(NDArrayIndex.interval(s.offset(), s.offset() + s.length())).assign(Nd4j.createFromArray(v).castTo(flat.dataType()));
        }
    }
}
