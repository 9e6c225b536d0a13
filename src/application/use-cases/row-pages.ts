import type { AviaryTableName } from '../../domain/schema/aviary-schema';
import type { Row } from '../../domain/schema/column';
import type { RecordReader, RowFilter } from '../ports/record-store.port';

/** Rows per page when a store has no `pages` of its own. */
const FALLBACK_PAGE_ROWS = 1000;

/** A table's rows in pages: the store's own when it has them, else its stream cut into pages. */
export function rowPages(reader: RecordReader, table: AviaryTableName, filter?: RowFilter): AsyncIterable<readonly Row[]> {
  return reader.pages ? reader.pages(table, filter) : paged(reader.stream(table, filter));
}

async function* paged(rows: AsyncIterable<Row>): AsyncGenerator<readonly Row[]> {
  let page: Row[] = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length === FALLBACK_PAGE_ROWS) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
