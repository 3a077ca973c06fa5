import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

/** CI helper: a browser screenshot of report.html must show rendered charts (many coloured, non-background pixels). */
public class PngCheck {
    public static void main(String[] args) throws Exception {
        BufferedImage img = ImageIO.read(new File(args[0]));
        if (img == null) throw new IllegalStateException(args[0] + ": not an image");
        long coloured = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y), r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) coloured++; // chart lines and markers, not grey text
            }
        }
        System.out.printf("%s: %dx%d, %d coloured pixels%n", args[0], img.getWidth(), img.getHeight(), coloured);
        if (coloured < 500) throw new IllegalStateException("no chart rendered in the screenshot");
    }
}
