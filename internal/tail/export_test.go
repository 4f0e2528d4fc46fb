package tail

import "time"

var timeZero time.Time
