// Entry points of the plot writers: pick PNG or SVG from the file extension.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "report/plot.h"
#include "io/file_io.h"
#include "report/plot_scene.h"

namespace cyclone::report {
namespace {

std::string lower_extension(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

void write_text_file(const std::string& text, const std::string& path) {
  io::write_file_atomic(path, text.data(), text.size());
}

}  // namespace

namespace plot_detail {

void save_scene(const Scene& scene, const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".png") write_png(scene, path);
  else if (ext == ".svg") write_text_file(to_svg(scene), path);
  else throw std::invalid_argument("save_plot: cannot tell the image format of '" + path +
                                   "': use a .png or .svg extension");
}

}  // namespace plot_detail

std::string plots_to_svg(const std::vector<PlotSpec>& specs) {
  return plot_detail::to_svg(plot_detail::build_scene(specs));
}

void save_plots_vertical(const std::vector<PlotSpec>& specs, const std::string& path) {
  if (specs.empty()) throw std::invalid_argument("save_plot: no plots given for '" + path + "'");
  plot_detail::save_scene(plot_detail::build_scene(specs), path);
}

void save_plot(const PlotSpec& spec, const std::string& path) { save_plots_vertical({spec}, path); }

}  // namespace cyclone::report
