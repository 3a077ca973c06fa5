package io.lora4j.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real HDFS in the test JVM (one NameNode, one DataNode) with its storage under {@code baseDir} (DISTRIBUTED.md §4). */
public final class MiniHdfs implements AutoCloseable {
    private final MiniDFSCluster cluster;

    private MiniHdfs(MiniDFSCluster cluster) {
        this.cluster = cluster;
    }

    public static MiniHdfs start(Path baseDir) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.toString());
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            cluster.waitActive();
        } catch (IOException | RuntimeException e) {
            cluster.shutdown();
            throw e;
        }
        return new MiniHdfs(cluster);
    }

    /** {@code hdfs://localhost:PORT} + {@code path} (an absolute HDFS path). */
    public String uri(String path) {
        return "hdfs://localhost:" + cluster.getNameNodePort() + path;
    }

    public FileSystem fs() throws IOException {
        return cluster.getFileSystem();
    }

    /** Whether an absolute HDFS path exists. */
    public boolean exists(String path) throws IOException {
        return fs().exists(new org.apache.hadoop.fs.Path(path));
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
