package dev.refusalmonitor.monitor.drift;

import dev.refusalmonitor.math.drift.DriftConfig;
import dev.refusalmonitor.math.drift.DriftPartial;
import dev.refusalmonitor.math.drift.DriftReport;
import dev.refusalmonitor.math.drift.RateDifference;
import dev.refusalmonitor.math.drift.SliceDrift;
import dev.refusalmonitor.math.drift.SliceKey;
import dev.refusalmonitor.math.drift.WindowAggregate;
import dev.refusalmonitor.math.drift.WindowClose;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes of the drift state the monitor keeps in Kafka: partial aggregates on the drift-partials topic and in the
 * scoring tasks' store, and each slice's whole state in the owners' store (both changelogged). A tag byte and a format
 * version lead every value; reading checks every length and count against the configuration, so a value written under
 * another window layout (other sectors or histogram bins) or a forged one is refused with
 * {@link IllegalArgumentException}, never half-read. Keys are {@link #key(SliceKey)}.
 */
public final class DriftStateCodec {
    private static final byte PARTIAL = 'P';
    private static final byte SLICE = 'S';
    private static final byte FORMAT = 1;
    /** Far above any configured layout (bins, sectors, reference windows); bounds what a forged value can allocate. */
    private static final int MAX_COUNT = 100_000;

    private DriftStateCodec() {
    }

    /**
     * The record and store key of a slice: its three parts with {@code %} and {@code /} escaped, joined by {@code /},
     * so distinct slices never share a key.
     */
    public static String key(SliceKey s) {
        return escape(s.model()) + "/" + escape(s.tenant()) + "/" + escape(s.route());
    }

    private static String escape(String s) {
        return s.replace("%", "%25").replace("/", "%2F");
    }

    public static byte[] partial(DriftPartial p) {
        return write(out -> {
            out.writeByte(PARTIAL);
            out.writeByte(FORMAT);
            slice(out, p.key());
            out.writeLong(p.directionsVersion());
            out.writeLong(p.bucketStart());
            out.writeLong(p.firstEventMs());
            out.writeLong(p.lastEventMs());
            window(out, p.counts());
        });
    }

    public static DriftPartial partial(byte[] bytes, DriftConfig config) {
        return read(bytes, PARTIAL, in -> {
            SliceKey key = slice(in);
            long version = in.readLong();
            long bucket = in.readLong();
            long first = in.readLong();
            long last = in.readLong();
            return DriftPartial.of(key, version, bucket, first, last, window(in, config));
        });
    }

    public static byte[] slice(SliceDrift.Snapshot s) {
        return write(out -> {
            out.writeByte(SLICE);
            out.writeByte(FORMAT);
            slice(out, s.key());
            window(out, s.current());
            window(out, s.reference());
            out.writeInt(s.pinnedWindows());
            out.writeInt(s.trailing().size());
            for (WindowAggregate w : s.trailing()) window(out, w);
            out.writeLong(s.windowIndex());
            out.writeLong(s.bucketStart());
            out.writeLong(s.firstEventMs());
            out.writeLong(s.lastEventMs());
            out.writeDouble(s.cusumUp());
            out.writeDouble(s.cusumDown());
            out.writeLong(s.directionsVersion());
            out.writeBoolean(s.lastReport() != null);
            if (s.lastReport() != null) report(out, s.lastReport());
        });
    }

    public static SliceDrift.Snapshot slice(byte[] bytes, DriftConfig config) {
        return read(bytes, SLICE, in -> {
            SliceKey key = slice(in);
            WindowAggregate current = window(in, config);
            WindowAggregate reference = window(in, config);
            int pinned = in.readInt();
            int ring = count(in.readInt());
            List<WindowAggregate> trailing = new ArrayList<>(ring);
            for (int i = 0; i < ring; i++) trailing.add(window(in, config));
            long windowIndex = in.readLong();
            long bucket = in.readLong();
            long first = in.readLong();
            long last = in.readLong();
            double up = in.readDouble();
            double down = in.readDouble();
            long version = in.readLong();
            DriftReport report = in.readBoolean() ? report(in, key) : null;
            return new SliceDrift.Snapshot(key, current, reference, pinned, List.copyOf(trailing), windowIndex, bucket,
                    first, last, up, down, version, report);
        });
    }

    private static void slice(DataOutputStream out, SliceKey k) throws IOException {
        out.writeUTF(k.model());
        out.writeUTF(k.tenant());
        out.writeUTF(k.route());
    }

    private static SliceKey slice(DataInputStream in) throws IOException {
        return new SliceKey(in.readUTF(), in.readUTF(), in.readUTF());
    }

    private static void window(DataOutputStream out, WindowAggregate w) throws IOException {
        out.writeLong(w.n());
        out.writeDouble(w.sumProbeProbability());
        out.writeLong(w.flaggedCount());
        out.writeLong(w.castFiredCount());
        out.writeLong(w.oodCount());
        longs(out, w.sectorCounts());
        longs(out, w.probabilityHistogram().counts(null));
        longs(out, w.mahalanobisHistogram().counts(null));
    }

    private static WindowAggregate window(DataInputStream in, DriftConfig config) throws IOException {
        long n = in.readLong();
        double sum = in.readDouble();
        long flagged = in.readLong();
        long cast = in.readLong();
        long ood = in.readLong();
        long[] sectors = longs(in);
        long[] probability = longs(in);
        long[] mahalanobis = longs(in);
        WindowAggregate w = SliceDrift.emptyWindow(config);
        w.restore(n, sum, flagged, cast, ood, sectors, probability, mahalanobis);
        return w;
    }

    private static void longs(DataOutputStream out, long[] v) throws IOException {
        out.writeInt(v.length);
        for (long x : v) out.writeLong(x);
    }

    private static long[] longs(DataInputStream in) throws IOException {
        long[] v = new long[count(in.readInt())];
        for (int i = 0; i < v.length; i++) v[i] = in.readLong();
        return v;
    }

    private static void report(DataOutputStream out, DriftReport r) throws IOException {
        out.writeLong(r.windowIndex());
        out.writeUTF(r.closedBy().name());
        out.writeLong(r.firstEventMs());
        out.writeLong(r.lastEventMs());
        out.writeLong(r.n());
        for (double d : new double[]{r.probeProbabilityMean(), r.flaggedRate(), r.castFireRate(), r.oodRate()}) out.writeDouble(d);
        out.writeInt(r.sectorShares().size());
        for (Map.Entry<String, Double> e : r.sectorShares().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeDouble(e.getValue());
        }
        out.writeBoolean(r.referenceReady());
        out.writeLong(r.referenceN());
        for (double d : new double[]{r.psiProbability(), r.ksProbability(), r.ksProbabilityPValue(), r.psiMahalanobis(),
                r.ksMahalanobis(), r.ksMahalanobisPValue(), r.psiSectors()}) out.writeDouble(d);
        rate(out, r.flaggedDifference());
        rate(out, r.castFireDifference());
        rate(out, r.oodDifference());
        out.writeDouble(r.flaggedZ());
        out.writeDouble(r.cusumUp());
        out.writeDouble(r.cusumDown());
        out.writeBoolean(r.drifted());
        out.writeInt(r.reasons().size());
        for (String s : r.reasons()) out.writeUTF(s);
        out.writeLong(r.directionsVersion());
    }

    private static DriftReport report(DataInputStream in, SliceKey key) throws IOException {
        long index = in.readLong();
        WindowClose closedBy = WindowClose.valueOf(in.readUTF());
        long first = in.readLong();
        long last = in.readLong();
        long n = in.readLong();
        double mean = in.readDouble(), flagged = in.readDouble(), cast = in.readDouble(), ood = in.readDouble();
        int sectors = count(in.readInt());
        Map<String, Double> shares = new LinkedHashMap<>();
        for (int i = 0; i < sectors; i++) shares.put(in.readUTF(), in.readDouble());
        boolean ready = in.readBoolean();
        long referenceN = in.readLong();
        double psiP = in.readDouble(), ksP = in.readDouble(), ksPp = in.readDouble(), psiM = in.readDouble(),
                ksM = in.readDouble(), ksMp = in.readDouble(), psiS = in.readDouble();
        RateDifference flaggedDiff = rate(in), castDiff = rate(in), oodDiff = rate(in);
        double z = in.readDouble(), up = in.readDouble(), down = in.readDouble();
        boolean drifted = in.readBoolean();
        int reasonCount = count(in.readInt());
        List<String> reasons = new ArrayList<>(reasonCount);
        for (int i = 0; i < reasonCount; i++) reasons.add(in.readUTF());
        long version = in.readLong();
        return new DriftReport(key, index, closedBy, first, last, n, mean, flagged, cast, ood,
                Collections.unmodifiableMap(shares), ready, referenceN, psiP, ksP, ksPp, psiM, ksM, ksMp, psiS,
                flaggedDiff, castDiff, oodDiff, z, up, down, drifted, List.copyOf(reasons), version);
    }

    private static void rate(DataOutputStream out, RateDifference d) throws IOException {
        out.writeBoolean(d != null);
        if (d == null) return;
        out.writeLong(d.countA());
        out.writeLong(d.nA());
        out.writeLong(d.countE());
        out.writeLong(d.nE());
        out.writeDouble(d.difference());
        out.writeDouble(d.lower());
        out.writeDouble(d.upper());
        out.writeDouble(d.z());
        out.writeBoolean(d.significant());
    }

    private static RateDifference rate(DataInputStream in) throws IOException {
        if (!in.readBoolean()) return null;
        return new RateDifference(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readDouble(),
                in.readDouble(), in.readDouble(), in.readDouble(), in.readBoolean());
    }

    private static int count(int n) {
        if (n < 0 || n > MAX_COUNT) throw new IllegalArgumentException("count " + n + " out of range");
        return n;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer w) {
        Buffer bytes = new Buffer();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** An unsynchronised byte sink: a partial is written on every scored request (ByteArrayOutputStream locks per call). */
    private static final class Buffer extends java.io.OutputStream {
        private byte[] buf = new byte[512];
        private int size;

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        private void ensure(int more) {
            if (size + more > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }

    private static <T> T read(byte[] bytes, byte tag, Reader<T> r) {
        if (bytes == null || bytes.length < 2) throw new IllegalArgumentException("empty drift state value");
        if (bytes[0] != tag) throw new IllegalArgumentException("not a drift " + (tag == PARTIAL ? "partial" : "slice state"));
        if (bytes[1] != FORMAT) throw new IllegalArgumentException("unknown drift state format " + bytes[1]);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 2, bytes.length - 2))) {
            T value = r.read(in);
            if (in.available() > 0) throw new IllegalArgumentException(in.available() + " unexpected trailing bytes");
            return value;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated drift state value: " + e, e);
        }
    }
}
