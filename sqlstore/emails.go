package sqlstore

import (
	"fmt"

	"github.com/scimd/scimd/directory"
)

// writeEmails keeps user_emails equal to the user's email values: every
// non-empty value, folded, once.
func (t *tx) writeEmails(r *directory.Resource, replace bool) error {
	if r.Kind != directory.KindUser {
		return nil
	}
	if replace {
		_, err := t.exec(`DELETE FROM user_emails WHERE account_id = ? AND user_id = ?`,
			t.account, r.ID)
		if err != nil {
			return fmt.Errorf("clear emails of user %q: %w", r.ID, err)
		}
	}
	values := emailValues(r)
	if len(values) == 0 {
		return nil
	}
	// Rows go in batches that stay within both engines' parameter limits,
	// so every address is indexed however many a user has.
	for _, part := range chunks(values, maxEmailRows) {
		args := make([]any, 0, 3*len(part))
		for _, v := range part {
			args = append(args, t.account, r.ID, v)
		}
		_, err := t.exec(`INSERT INTO user_emails (account_id, user_id, value_fold) VALUES `+
			rowMarks(len(part), 3)+` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("store emails of user %q: %w", r.ID, err)
		}
	}
	return nil
}

// maxEmailRows is how many addresses one INSERT carries: three parameters
// each, well within the parameter limits of both engines.
const maxEmailRows = 300

// emailValues returns the folded, distinct, non-empty email values of r's
// document, and r.Email when the document has none.
func emailValues(r *directory.Resource) []string {
	var values []string
	emails, _ := r.Doc["emails"].([]any)
	for _, e := range emails {
		m, _ := e.(map[string]any)
		if v, _ := m["value"].(string); v != "" {
			values = append(values, fold(v))
		}
	}
	if len(values) == 0 && r.Email != "" {
		values = append(values, fold(r.Email))
	}
	return dedup(values)
}
