// Writes a plot Scene as an SVG document (plain text, one element per shape; a Bitmap
// becomes an <image> holding the picture as a base64 PNG, scaled up with sharp pixels).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "report/plot_scene.h"

namespace cyclone::report::plot_detail {
namespace {

// Coordinates with at most two decimals and no trailing zeros.
std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string color(Rgb c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  return buf;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  static const char* const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    unsigned v = unsigned(bytes[i]) << 16;
    if (n > 1) v |= unsigned(bytes[i + 1]) << 8;
    if (n > 2) v |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? digits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

struct SvgWriter {
  std::string out;

  void operator()(const Line& l) {
    out += "<line x1=\"" + num(l.a.first) + "\" y1=\"" + num(l.a.second) + "\" x2=\"" +
           num(l.b.first) + "\" y2=\"" + num(l.b.second) + "\" stroke=\"" + color(l.color) +
           "\" stroke-width=\"" + std::to_string(l.width) + "\"" +
           (l.dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
  }

  void operator()(const Polyline& p) {
    out += "<polyline fill=\"none\" stroke=\"" + color(p.color) + "\" stroke-width=\"" +
           std::to_string(p.width) + "\" stroke-linejoin=\"round\" points=\"";
    for (std::size_t i = 0; i < p.points.size(); ++i)
      out += (i ? " " : "") + num(p.points[i].first) + "," + num(p.points[i].second);
    out += "\"/>\n";
  }

  void operator()(const Rect& r) {
    const std::string geom = "x=\"" + num(r.x) + "\" y=\"" + num(r.y) + "\" width=\"" + num(r.w) +
                             "\" height=\"" + num(r.h) + "\"";
    if (r.filled) out += "<rect " + geom + " fill=\"" + color(r.color) + "\"/>\n";
    else out += "<rect " + geom + " fill=\"none\" stroke=\"" + color(r.color) + "\"/>\n";
  }

  void operator()(const Text& t) {
    const double size = 10.0 * t.scale, baseline = 8.0 * t.scale;
    std::string attrs = "font-family=\"sans-serif\" font-size=\"" + num(size) + "\" fill=\"" +
                        color(t.color) + "\"";
    if (t.vertical) {
      const std::string x = num(t.at.first + baseline), y = num(t.at.second);
      out += "<text x=\"" + x + "\" y=\"" + y + "\" " + attrs +
             " text-anchor=\"middle\" transform=\"rotate(-90 " + x + " " + y + ")\">";
    } else {
      const char* anchor = t.anchor == Anchor::Center ? "middle" : t.anchor == Anchor::Right ? "end" : "start";
      out += "<text x=\"" + num(t.at.first) + "\" y=\"" + num(t.at.second + baseline) + "\" " +
             attrs + " text-anchor=\"" + anchor + "\">";
    }
    out += escape(t.text) + "</text>\n";
  }

  void operator()(const Bitmap& b) {
    const std::string png = base64(encode_png(b.width, b.height, b.rgb.data(), "an SVG image"));
    out += "<image x=\"" + num(b.at.first) + "\" y=\"" + num(b.at.second) + "\" width=\"" +
           std::to_string(b.width * b.zoom) + "\" height=\"" + std::to_string(b.height * b.zoom) +
           "\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64," + png + "\"/>\n";
  }
};

}  // namespace

std::string to_svg(const Scene& scene) {
  SvgWriter w;
  const std::string width = std::to_string(scene.width), height = std::to_string(scene.height);
  w.out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height +
          "\" viewBox=\"0 0 " + width + " " + height + "\">\n";
  for (const Bitmap& b : scene.bitmaps) w(b);
  for (const Shape& shape : scene.shapes) std::visit(w, shape);
  w.out += "</svg>\n";
  return w.out;
}

}  // namespace cyclone::report::plot_detail
