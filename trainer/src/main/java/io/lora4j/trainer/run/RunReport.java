package io.lora4j.trainer.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.lora4j.trainer.MetricsLog;
import io.lora4j.trainer.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code report.html} in the run directory: loss / validation-loss and learning-rate charts (XChart, also saved as
 * PNG and embedded, so the page needs no server), throughput, the config, the dataset summary, samples at each
 * evaluation, adapter statistics and the export table when present.
 */
public final class RunReport {
    private RunReport() {}

    public static Path write(Path runDir) throws IOException {
        return write(runDir, runDir.toString());
    }

    /** Writes the report into the local {@code runDir} from the metrics at {@code metricsUri} (any FileSystem). */
    public static Path write(Path runDir, String metricsUri) throws IOException {
        List<JsonNode> metrics = MetricsLog.read(metricsUri);
        List<Double> steps = new ArrayList<>(), loss = new ArrayList<>(), lr = new ArrayList<>();
        double tokens = 0, stepSeconds = 0;
        List<Double> evalSteps = new ArrayList<>(), valLoss = new ArrayList<>();
        StringBuilder samples = new StringBuilder();
        for (JsonNode m : metrics) {
            if (m.path("kind").asText().equals("train")) {
                steps.add(m.path("step").asDouble());
                loss.add(m.path("loss").asDouble());
                lr.add(m.path("lr").asDouble());
                tokens += m.path("tokens").asDouble();
                stepSeconds += m.path("step_s").asDouble();
            } else if (m.path("kind").asText().equals("eval") && m.has("val_loss") && m.path("val_loss").isNumber()) {
                evalSteps.add(m.path("step").asDouble());
                valLoss.add(m.path("val_loss").asDouble());
                for (JsonNode s : m.path("samples")) samples.append("<tr><td>").append(m.path("step").asLong()).append("</td><td>").append(esc(s.asText())).append("</td></tr>\n");
            }
        }
        XYChart lossChart = new XYChartBuilder().width(800).height(400).title("Loss").xAxisTitle("step").yAxisTitle("loss").build();
        if (!steps.isEmpty()) lossChart.addSeries("train loss", steps, loss).setMarker(SeriesMarkers.NONE);
        if (!evalSteps.isEmpty()) lossChart.addSeries("validation loss", evalSteps, valLoss);
        XYChart lrChart = new XYChartBuilder().width(800).height(300).title("Learning rate").xAxisTitle("step").yAxisTitle("lr").build();
        if (!steps.isEmpty()) lrChart.addSeries("lr", steps, lr).setMarker(SeriesMarkers.NONE);
        Path lossPng = runDir.resolve("loss.png"), lrPng = runDir.resolve("lr.png");
        BitmapEncoder.saveBitmap(lossChart, lossPng.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
        BitmapEncoder.saveBitmap(lrChart, lrPng.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
        double meanTps = Trainer.throughput(tokens, stepSeconds); // the console's and metrics.jsonl's figure

        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lora4j run report</title>\n"
                + "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow:auto}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>\n");
        h.append("<h1>lora4j run report</h1>\n<p>").append(esc(runDir.toAbsolutePath().toString())).append("</p>\n");
        h.append(String.format("<p>%d steps; final training loss %s; validation loss %s → %s; throughput %.0f tokens/s (trained tokens over the time of the training steps)</p>%n", steps.size(),
                loss.isEmpty() ? "–" : String.format("%.4f", loss.get(loss.size() - 1)),
                valLoss.isEmpty() ? "–" : String.format("%.4f", valLoss.get(0)), valLoss.isEmpty() ? "–" : String.format("%.4f", valLoss.get(valLoss.size() - 1)), meanTps));
        h.append("<h2>Loss</h2>\n<img id=\"loss-chart\" alt=\"loss chart\" src=\"data:image/png;base64,").append(base64(lossPng)).append("\">\n");
        h.append("<h2>Learning rate</h2>\n<img id=\"lr-chart\" alt=\"learning rate chart\" src=\"data:image/png;base64,").append(base64(lrPng)).append("\">\n");
        if (samples.length() > 0) h.append("<h2>Samples at each evaluation</h2>\n<table><tr><th>step</th><th>greedy answer</th></tr>\n").append(samples).append("</table>\n");
        section(h, "Base model vs fine-tuned", runDir.resolve("compare.md"));
        section(h, "Adapter statistics", runDir.resolve("adapter_report.md"));
        section(h, "Export quality", runDir.resolve("export").resolve("quality.md"));
        section(h, "Dataset", runDir.resolve("dataset").resolve("manifest.json"));
        section(h, "Configuration", runDir.resolve("config.yaml"));
        h.append("</body></html>\n");
        Path out = runDir.resolve("report.html");
        Files.writeString(out, h.toString(), StandardCharsets.UTF_8);
        return out;
    }

    private static final List<org.commonmark.Extension> TABLES = List.of(org.commonmark.ext.gfm.tables.TablesExtension.create());

    /** A Markdown file (tables, notes) rendered as HTML; other files (YAML, JSON) shown as they are. */
    private static void section(StringBuilder h, String title, Path file) throws IOException {
        if (!Files.exists(file)) return;
        h.append("<h2>").append(title).append("</h2>\n");
        if (file.toString().endsWith(".md")) h.append(markdown(Files.readString(file)));
        else h.append("<pre>").append(esc(Files.readString(file))).append("</pre>\n");
    }

    static String markdown(String md) {
        org.commonmark.node.Node doc = org.commonmark.parser.Parser.builder().extensions(TABLES).build().parse(md);
        return org.commonmark.renderer.html.HtmlRenderer.builder().extensions(TABLES).escapeHtml(true).build().render(doc);
    }

    private static String base64(Path png) throws IOException {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(png));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
