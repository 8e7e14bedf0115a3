// CsvLog writer and read_csv reader: RFC 4180 quoting for text cells, numbers
// formatted to round-trip, each row flushed so a crashed run keeps its log.
#include "report/csv_log.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "io/file_io.h"

namespace cyclone::report {
namespace {

std::string quote_cell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Splits one CSV record; quoted cells may hold commas and doubled quotes.
std::vector<std::string> split_record(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else cells.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

double parse_number(const std::string& cell) {
  const auto first = cell.find_first_not_of(" \t");
  if (first == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  const char* begin = cell.c_str() + first;
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  return end != begin && end && *end == '\0' ? v : std::numeric_limits<double>::quiet_NaN();
}

std::string error_text() { return errno ? std::string(": ") + std::strerror(errno) : ""; }

}  // namespace

std::string format_csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  if (v == std::trunc(v) && std::abs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

CsvLog::CsvLog(std::string path, std::vector<std::string> columns, bool append)
    : path_(std::move(path)), columns_(std::move(columns)) {
  if (columns_.empty()) throw std::invalid_argument("CsvLog '" + path_ + "': no columns given");
  bool write_header = true;
  if (append) {
    std::ifstream existing(path_);
    std::string header;
    if (existing && std::getline(existing, header) && !header.empty()) {
      if (header.back() == '\r') header.pop_back();
      if (split_record(header) != columns_)
        throw std::invalid_argument("CsvLog: cannot append to '" + path_ +
                                    "': its header '" + header + "' differs from the columns given");
      write_header = false;
    }
  }
  errno = 0;
  out_.open(path_, append ? std::ios::app : std::ios::trunc);
  if (!out_) throw std::runtime_error("CsvLog: cannot open '" + path_ + "' for writing" + error_text());
  if (write_header) write_line(columns_);
}

void CsvLog::write_row(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument("CsvLog '" + path_ + "': row has " + std::to_string(values.size()) +
                                " values but there are " + std::to_string(columns_.size()) + " columns");
  std::vector<std::string> cells;
  cells.reserve(values.size());
  for (double v : values) cells.push_back(format_csv_number(v));
  write_line(cells);
}

void CsvLog::write_cells(const std::vector<std::string>& cells) {
  if (cells.size() != columns_.size())
    throw std::invalid_argument("CsvLog '" + path_ + "': row has " + std::to_string(cells.size()) +
                                " cells but there are " + std::to_string(columns_.size()) + " columns");
  write_line(cells);
}

void CsvLog::write_line(const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) out_ << (i ? "," : "") << quote_cell(cells[i]);
  out_ << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error("CsvLog: write to '" + path_ + "' failed");
}

bool CsvTable::has(const std::string& name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<double>& CsvTable::column(const std::string& name) const {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end())
    throw std::invalid_argument("read_csv: no column '" + name + "' in '" + path + "'");
  return columns[static_cast<std::size_t>(it - names.begin())];
}

CsvTable read_csv(const std::string& path, bool drop_torn_tail) {
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("read_csv: cannot open '" + path + "'" + error_text());
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (drop_torn_tail && !text.empty() && text.back() != '\n') text.erase(text.find_last_of('\n') + 1);
  std::istringstream in(text);
  CsvTable table;
  table.path = path;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells = split_record(line);
    if (table.names.empty()) {
      table.names = std::move(cells);
      table.columns.resize(table.names.size());
      continue;
    }
    if (cells.size() != table.names.size())
      throw std::runtime_error("read_csv: '" + path + "' line " + std::to_string(line_no) +
                               " has " + std::to_string(cells.size()) + " cells, expected " +
                               std::to_string(table.names.size()));
    for (std::size_t i = 0; i < cells.size(); ++i) table.columns[i].push_back(parse_number(cells[i]));
  }
  if (table.names.empty()) throw std::runtime_error("read_csv: '" + path + "' has no header line");
  return table;
}

void write_csv(const CsvTable& table, const std::string& path) {
  std::vector<std::vector<std::string>> rows{table.names};
  for (std::size_t r = 0; r < table.rows(); ++r) {
    std::vector<std::string>& cells = rows.emplace_back();
    for (const std::vector<double>& col : table.columns) cells.push_back(format_csv_number(col[r]));
  }
  write_csv_rows(rows, path);
}

void write_csv_rows(const std::vector<std::vector<std::string>>& rows, const std::string& path) {
  std::string text;
  for (const std::vector<std::string>& cells : rows) {
    for (std::size_t i = 0; i < cells.size(); ++i) text += (i ? "," : "") + quote_cell(cells[i]);
    text += '\n';
  }
  io::write_file_atomic(path, text.data(), text.size());
}

}  // namespace cyclone::report
