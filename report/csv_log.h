// Training metrics as CSV: a logger that writes one flushed row per call, and a
// small reader that returns the columns by name (for tests and plotting tools).
#pragma once

#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

namespace cyclone::report {

// A number as a CSV cell: integers exactly (below 1e15), others with "%.9g"
// (round-trips float32 values), and "nan", "inf", "-inf".
std::string format_csv_number(double value);

class CsvLog {
 public:
  // Creates (or truncates) `path` and writes the header. With append = true an
  // existing non-empty file is kept and its header must equal `columns`.
  // Throws std::runtime_error naming the path when it cannot be opened.
  CsvLog(std::string path, std::vector<std::string> columns, bool append = false);

  // One value per column, in the header's order; flushed immediately.
  void write_row(const std::vector<double>& values);
  // Preformatted cells (e.g. a phase name), quoted where CSV needs it.
  void write_cells(const std::vector<std::string>& cells);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  void write_line(const std::vector<std::string>& cells);

  std::string path_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

struct CsvTable {
  std::string path;
  std::vector<std::string> names;            // header order
  std::vector<std::vector<double>> columns;  // columns[i] holds names[i]'s values

  std::size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  bool has(const std::string& name) const;
  // Throws std::invalid_argument naming the column and the file when absent.
  const std::vector<double>& column(const std::string& name) const;
};

// Reads a CSV file with a header line, one record per line (quoted cells may
// hold commas and quotes, not newlines). Empty or non-numeric cells read as NaN.
// Throws std::runtime_error naming the path (and line) when the file cannot be
// read or a row has the wrong number of cells. With drop_torn_tail, a last line
// without its newline (a log whose writer was killed mid-row) is left out.
CsvTable read_csv(const std::string& path, bool drop_torn_tail = false);

// Writes the table (header, then its rows as format_csv_number cells) atomically.
void write_csv(const CsvTable& table, const std::string& path);
// Writes rows of text cells atomically, each quoted where CSV needs it.
void write_csv_rows(const std::vector<std::vector<std::string>>& rows, const std::string& path);

}  // namespace cyclone::report
