// Tests for report/csv_log: exact file contents, round trips through read_csv,
// appending, quoting and errors that name the file.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <unistd.h>

#include "report/csv_log.h"

using namespace cyclone::report;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cyclone_csv_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("format_csv_number") {
  CHECK(format_csv_number(3) == "3");
  CHECK(format_csv_number(-120000) == "-120000");
  CHECK(format_csv_number(0.1) == "0.1");
  CHECK(format_csv_number(0.1f) == "0.100000001");  // a float32 value, all its digits
  CHECK(format_csv_number(1.25e-7) == "1.25e-07");
  CHECK(format_csv_number(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(format_csv_number(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(format_csv_number(1e20) == "1e+20");
}

TEST_CASE("CsvLog writes header and rows; read_csv round-trips them") {
  const std::string path = temp_path("log.csv");
  const float lr = 1.2345678e-3f, loss = 0.53214312f;
  {
    CsvLog log(path, {"step", "loss", "lr"});
    log.write_row({1, loss, lr});
    // Each row is flushed: the file already holds it while the log is open.
    CHECK(read_text(path) == "step,loss,lr\n1,0.532143116,0.00123456784\n");
    log.write_row({2, std::numeric_limits<double>::quiet_NaN(), 1e-7});
  }
  const CsvTable table = read_csv(path);
  CHECK(table.names == std::vector<std::string>{"step", "loss", "lr"});
  REQUIRE(table.rows() == 2);
  CHECK(table.column("step") == std::vector<double>{1, 2});
  CHECK(static_cast<float>(table.column("loss")[0]) == loss);  // float32 round trip
  CHECK(static_cast<float>(table.column("lr")[0]) == lr);
  CHECK(std::isnan(table.column("loss")[1]));
  CHECK(table.column("lr")[1] == 1e-7);
  CHECK(table.has("lr"));
  CHECK_FALSE(table.has("acc"));
  CHECK(error_of([&] { (void)table.column("acc"); }).find(path) != std::string::npos);
  CHECK_THROWS_AS(CsvLog(path, {"a", "b"}).write_row({1}), std::invalid_argument);
  std::filesystem::remove(path);
}

TEST_CASE("append keeps rows when the header matches") {
  const std::string path = temp_path("append.csv");
  { CsvLog(path, {"epoch", "acc"}).write_row({0, 0.5}); }
  { CsvLog(path, {"epoch", "acc"}, true).write_row({1, 0.75}); }
  CHECK(read_text(path) == "epoch,acc\n0,0.5\n1,0.75\n");
  CHECK(error_of([&] { CsvLog(path, {"epoch", "loss"}, true); }).find(path) != std::string::npos);
  std::filesystem::remove(path);
  { CsvLog(path, {"epoch"}, true).write_row({7}); }  // appending to a missing file writes the header
  CHECK(read_text(path) == "epoch\n7\n");
  std::filesystem::remove(path);
}

TEST_CASE("text cells are quoted and read back") {
  const std::string path = temp_path("cells.csv");
  {
    CsvLog log(path, {"phase", "note"});
    log.write_cells({"train", "a, \"b\""});
  }
  CHECK(read_text(path) == "phase,note\ntrain,\"a, \"\"b\"\"\"\n");
  const CsvTable table = read_csv(path);
  REQUIRE(table.rows() == 1);
  CHECK(std::isnan(table.column("phase")[0]));  // non-numeric
  std::filesystem::remove(path);
}

TEST_CASE("errors name the file") {
  const std::string bad = "/nonexistent-dir/x/log.csv";
  CHECK(error_of([&] { CsvLog(bad, {"a"}); }).find(bad) != std::string::npos);
  CHECK(error_of([&] { read_csv(bad); }).find(bad) != std::string::npos);
  const std::string path = temp_path("ragged.csv");
  write_text(path, "a,b\r\n1,2\r\n3\r\n");
  const std::string msg = error_of([&] { read_csv(path); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("line 3") != std::string::npos);
  write_text(path, "");
  CHECK(error_of([&] { read_csv(path); }).find("no header") != std::string::npos);
  write_text(path, "a, b\r\n 1 ,\r\n");
  const CsvTable t = read_csv(path);
  CHECK(t.names == std::vector<std::string>{"a", " b"});
  CHECK(t.column("a") == std::vector<double>{1});
  CHECK(std::isnan(t.column(" b")[0]));
  std::filesystem::remove(path);
}
